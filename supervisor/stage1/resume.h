// Resume from hibernation in stage 1: resume=, resume_offset=, noresume.
//
// Why it is in stage 1 and why it comes first: a hibernated system's image
// holds its page cache and the state of its mounted filesystems. Mounting
// (or fsck'ing) the root of the stack before the resume decision, then
// resuming that image later, corrupts the filesystem. So the boot machine
// (boot.h) leaves kWaitRoot only when this gate is Decided(): nothing of
// the root stack is mounted or checked before. Unlocking LUKS, assembling md
// and activating LVM on the way to the resume device are fine (they do not
// write to a filesystem); initramfs-tools resumes in local-premount, dracut
// before its mount hooks, systemd-hibernate-resume before local-fs-pre.
//
// How (the kernel's swsusp interface, Documentation/power/swsusp.rst): the
// resume device is found through the same block-device events and matching
// the root uses (RootSpec: UUID=, LABEL=, PARTUUID=, PARTLABEL=, /dev/…,
// MAJ:MIN; plus the kernel's hex dev_t "801" = 8:1), so swap on LVM on LUKS
// on RAID is reached when its stack is assembled. When it shows up with a
// probed type:
//   - no resume_offset: the bridge's libblkid probe tells. A hibernation
//     image is ID_FS_TYPE=swsuspend (libblkid's name for a swap area whose
//     signature at PAGE_SIZE-10 was replaced by "S1SUSPEND"; ID_FS_VERSION
//     says s1suspend, and UUID/LABEL of the swap are kept, so resume=UUID=
//     still matches). Plain swap (TYPE=swap) or anything else: no image.
//   - resume_offset=N (a swap file): the page at N*PAGE_SIZE of the device
//     (the filesystem holding the file) is read and its last 10 bytes
//     compared with the kernel's signature (libblkid's probe at offset 0
//     sees only the filesystem).
// An image: write N to SYS/power/resume_offset (if given), then "MAJ:MIN"
// to SYS/power/resume. If the image is good the kernel never returns from
// that write (the resumed system continues where it hibernated). If it
// returns, the kernel refused the image (its "PM:" messages say why; it
// already restored the swap signature, so the next boot will not try again)
// and the boot goes on; a failing write is reported the same way.
//
// If the device never appears: no fixed timer. The rule of degraded.h
// (DESIGN "quiet"): the root found, coldplug done, uevent queue empty, no
// task job running (a passphrase prompt counts), and no new block device
// for the quiet grace period (restarted by every arrival and by every
// return to settled). Then one console line says the resume device was not
// seen, and the boot goes on. While the root is missing the gate never gives
// up: the degraded-RAID arbiter may still start the array both live on.
//
// The order with the degraded-RAID arbiter (Options::arbiter), exact: the
// swap holding the image may sit on an md array that lacks a member (or on
// LUKS or LVM on one). The arbiter starts such arrays at the same quiet the
// gate waits for, so the gate decides "not seen" only at a quiet when
//   - the arbiter has no candidate left (DegradedArbiter::HasCandidates():
//     every incomplete array was started or asked about, or the policy is
//     never, or the question was answered no), and
//   - the grace period has passed since the arbiter's last start or question
//     (last_start()) as well: a start is activity, like a device arrival.
// So a started array's swap (or the LUKS unlock, the LVM scan on it) comes
// before the next quiet, and an image on it is resumed before anything of
// the root is touched. Stage 1 tells the arbiter the gate is waiting
// (SetResumeWaiting), so it starts arrays even when the root was found.
//
// States:
//   kOff      no resume= (or resume=none), noresume, or a bad value (the
//             console said which option and why): Decided()
//   kWaiting  the device was not seen yet; OnBlockDevice may move to kSeen,
//             Act() at quiet to kDone ("not seen")
//   kSeen     the device appeared with a probed type; the next Act()
//             decides (image: the writes) and moves to kDone
//   kDone     decided; outcome() says how
#ifndef BATON_SUPERVISOR_STAGE1_RESUME_H_
#define BATON_SUPERVISOR_STAGE1_RESUME_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "supervisor/stage1/cmdline.h"
#include "supervisor/stage1/degraded.h"
#include "supervisor/stage1/device_env.h"
#include "supervisor/stage1/root_spec.h"
#include "sys/kernel.h"

namespace baton::stage1 {

// What the command line asks for.
struct ResumePlan {
  enum class Kind { kOff, kBad, kWait };
  Kind kind = Kind::kOff;
  RootSpec spec;                   // kWait
  std::optional<uint64_t> offset;  // kWait: resume_offset= in pages
  // kBad: the console line's reason, naming the option ("resume=UUID=: empty
  // value…"); kOff: why resume is off when one was asked ("noresume"), else "".
  std::string message;
};

ResumePlan PlanResume(const BootOptions& boot);

// The image's resume default. baton-mkinitramfs writes the host's
// initramfs-tools setting (/etc/initramfs-tools/conf.d/resume, RESUME=) to
// kImageResumeConf, where initramfs-tools' own images carry it, so a host
// that names its resume device there needs no resume= on the command line.
// Shell-style lines: the words RESUME=SPEC and resume_offset=N (or
// RESUME_OFFSET=N) count, a value may be quoted, '#' starts a comment.
inline constexpr char kImageResumeConf[] = "/conf/conf.d/resume";
struct ResumeConf {
  std::string resume;  // "" when not set
  std::string offset;  // as written; "" when not set
};
ResumeConf ParseResumeConf(absl::string_view text);
// BOOT with CONF's values when the command line has no resume= (the command
// line wins, noresume and resume=none included). A bad offset there turns
// resume off like a bad resume_offset= (the message names SOURCE).
BootOptions WithResumeDefault(BootOptions boot, const ResumeConf& conf,
                              absl::string_view source);

// The kernel's hex device number form of resume= ("801", "0x801", "fe01")
// as "MAJ:MIN" (new_decode_dev), or nullopt when SPEC is not that form.
std::optional<std::string> HexDevToMajorMinor(absl::string_view spec);

// True when the page read from a swap area ends with a hibernation
// signature (S1SUSPEND, S2SUSPEND, ULSUSPEND, LINHIB0001).
bool HasHibernationSignature(absl::string_view page);

class ResumeGate {
 public:
  enum class State { kOff, kWaiting, kSeen, kDone };

  struct Options {
    std::string sys_root = "/sys";
    absl::Duration grace = kDefaultQuietGrace;
    uint64_t page_size = 4096;  // for resume_offset=; the kernel's PAGE_SIZE
    // The image's default (see ParseResumeConf); "" = none.
    std::string image_conf = kImageResumeConf;
    // Asked before deciding "not seen" (see above); nullptr: quiet alone.
    // Must outlive the gate.
    const DegradedArbiter* arbiter = nullptr;
  };
  using LineFn = std::function<void(absl::string_view)>;

  // CONSOLE gets whole lines ("baton: resume: …\n"); LOG gets log lines.
  // Reads OPTIONS.image_conf when BOOT has no resume=.
  ResumeGate(sys::Kernel& kernel, const BootOptions& boot, absl::Time start, Options options,
             LineFn console, LineFn log);

  // Stage 1 starts waiting (after coldplug began): prints the line about a
  // bad value or noresume once.
  void Begin();

  // --- observations (DegradedArbiter's, kept in a QuietTracker) ------------
  void ColdplugDone(absl::Time now);
  void SetUeventQueueEmpty(bool empty, absl::Time now);
  void SetBusyJobs(int count, absl::Time now);
  void BlockDeviceAdded(absl::Time now);
  // A block-device-added/-changed event's properties (DEVNAME, MAJOR, MINOR,
  // ID_FS_*): kept when the spec names the device and its content is probed
  // and not a container (RAID member, LUKS, PV). The first such one counts.
  void OnBlockDevice(const Env& env);
  // Every known device (the bridge's BlockDevices()), after coldplug.
  void Scan(const std::map<std::string, Env>& devices);

  // Decides what can be decided now: kSeen → probe, writes, kDone; kWaiting
  // with ROOT_FOUND, quiet and the arbiter done → kDone "not seen". A
  // resumed image never returns from here.
  void Act(absl::Time now, bool root_found);

  bool Decided() const { return state_ == State::kOff || state_ == State::kDone; }
  // When Act() can next decide without a new observation (the end of the
  // quiet window), for the loop's timeout; nullopt when only an observation
  // can change it.
  std::optional<absl::Time> NextCheck(bool root_found) const;

  State state() const { return state_; }
  // kDone: "refused" (the write returned: no resume), "no-image", "not-seen".
  const std::string& outcome() const { return outcome_; }

 private:
  void Decide();
  // True when the device holds an image; DETAIL says what it holds.
  bool ProbeImage(std::string& detail);
  void Resume();
  void Done(const std::string& outcome, const std::string& console_line);
  // kWaiting: when the quiet window ends (last activity or the arbiter's
  // last start, plus the grace period); nullopt while not settled or the
  // arbiter still has arrays to start.
  std::optional<absl::Time> QuietAt() const;

  sys::Kernel& kernel_;
  ResumePlan plan_;
  Options options_;
  LineFn console_;
  LineFn log_;
  State state_ = State::kOff;
  std::string outcome_;
  bool began_ = false;

  Env device_;           // kSeen, kDone: the device's properties
  std::string devname_;  // "/dev/vdb"
  std::string type_seen_;  // a matching device without usable content

  QuietTracker quiet_;
};

absl::string_view ResumeStateName(ResumeGate::State state);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_RESUME_H_
