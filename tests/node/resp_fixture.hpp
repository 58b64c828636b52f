// A RESP command runner over an in-memory Store, for the command tests: run({"SET", "k", "v"})
// returns the raw reply bytes.
#pragma once

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <node/resp/resp_commands.hpp>

namespace converge::tools {

class RespTest : public ::testing::Test {
  protected:
    std::string run(const RespArgs& args) {
        std::string out;
        RespWriter writer(out, client.protocol);
        RespCommands::instance().execute(context, client, args, writer);
        return out;
    }

    store::Store store{store::Options{.replica = ReplicaId{1}}};
    RespContext context{store, std::nullopt, 6379, "", 1024, std::chrono::steady_clock::now(), {},
                        {}};
    RespClient client = [] {
        RespClient c;
        c.id = 7;
        c.authenticated = true;
        return c;
    }();
};

// RESP encodings, for readable expectations.
inline std::string bulk(const std::string& s) {
    return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}
inline std::string integer(std::int64_t n) {
    return ":" + std::to_string(n) + "\r\n";
}
inline const std::string ok = "+OK\r\n";
inline const std::string nil = "$-1\r\n";
inline const std::string wrongtype =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

}  // namespace converge::tools
