#include "handoff/secrets.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handoff/env_pack.h"

namespace baton::handoff {
namespace {

using ::testing::ElementsAre;

TEST(SecretsTest, SecretKeys) {
  for (const char* key :
       {"PASSWORD", "luks_passphrase", "PASSWD", "DB_SECRET", "GITHUB_TOKEN", "AWS_CREDENTIALS",
        "KEY", "LUKS_KEY", "rd.luks.key", "APIKEY", "KEYFILE", "ssh-keys", "private_key_pem"}) {
    EXPECT_TRUE(IsSecretKey(key)) << key;
  }
}

TEST(SecretsTest, OrdinaryKeys) {
  for (const char* key : {"DEVNAME", "ID_FS_UUID", "MD_UUID", "PATH", "KEYMAP", "console.keymap",
                          "KEYBOARD_LAYOUT", "KEYTABLE", "TERM", "JOB", "INSTANCE", ""}) {
    EXPECT_FALSE(IsSecretKey(key)) << key;
  }
}

TEST(SecretsTest, FilterKeepsOrderAndNamesRemovedKeys) {
  google::protobuf::RepeatedPtrField<KeyValue> env;
  for (const char* k : {"A", "PASSPHRASE", "B", "KEY", "C"}) {
    KeyValue* kv = env.Add();
    kv->set_key(k);
    kv->set_value(std::string("v-") + k);
  }
  EXPECT_THAT(FilterSecrets(&env), ElementsAre("PASSPHRASE", "KEY"));
  ASSERT_EQ(env.size(), 3);
  EXPECT_EQ(env[0].key(), "A");
  EXPECT_EQ(env[1].key(), "B");
  EXPECT_EQ(env[2].value(), "v-C");
}

TEST(SecretsTest, HasSecretsLooksAtInstancesAndEvents) {
  Handoff h;
  KeyValue* kv = h.add_instances()->add_env();
  kv->set_key("DEVNAME");
  EXPECT_FALSE(HasSecrets(h));
  h.add_events()->add_env()->set_key("MY_TOKEN");
  EXPECT_TRUE(HasSecrets(h));
}

TEST(SecretsTest, FilterPackedKeepsOrderAndNamesRemovedKeys) {
  std::string packed;
  for (const char* k : {"A", "PASSPHRASE", "B", "KEY", "C"}) {
    PackEnvEntry(&packed, k, std::string("v-") + k);
  }
  EXPECT_THAT(FilterPackedSecrets(&packed), ElementsAre("PASSPHRASE", "KEY"));
  std::string want;
  for (const char* k : {"A", "B", "C"}) PackEnvEntry(&want, k, std::string("v-") + k);
  EXPECT_EQ(packed, want);
  EXPECT_THAT(FilterPackedSecrets(&packed), ::testing::IsEmpty());
  EXPECT_EQ(packed, want);
}

TEST(SecretsTest, FilterPackedDropsADamagedTail) {
  std::string packed;
  PackEnvEntry(&packed, "A", "1");
  std::string good = packed;
  PackEnvEntry(&packed, "LUKS_KEY", "hunter2");
  packed.resize(packed.size() - 3);  // the secret's value cut off
  EXPECT_THAT(FilterPackedSecrets(&packed), ::testing::IsEmpty());
  EXPECT_EQ(packed, good);
}

TEST(SecretsTest, HasSecretsLooksAtPackedEnvironments) {
  Handoff h;
  PackEnvEntry(h.add_instances()->mutable_packed_env(), "DEVNAME", "/dev/sda");
  EXPECT_FALSE(HasSecrets(h));
  PackEnvEntry(h.add_events()->mutable_packed_env(), "rd.luks.key", "/k");
  EXPECT_TRUE(HasSecrets(h));
  Handoff damaged;
  damaged.add_instances()->set_packed_env(
      "\x05"
      "ab");
  EXPECT_TRUE(HasSecrets(damaged));
}

}  // namespace
}  // namespace baton::handoff
