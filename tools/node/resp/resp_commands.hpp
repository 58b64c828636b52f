// File: tools/node/resp/resp_commands.hpp
// RespCommands: the table of the commands converge-node answers over RESP (docs/redis.md) and
// the dispatch of one command: name lookup (any case), AUTH gate, arity, and the mapping of
// failures to Redis's error replies. Nothing a client sends makes it crash or change state on a
// refused command.
//
// Thread-safety: execute() is called from the server's one thread; the table is immutable.
#pragma once

#include <string_view>
#include <vector>

#include "resp_command.hpp"

namespace converge::tools {

class RespCommands {
  public:
    RespCommands();

    // Runs args (a command's words, at least one) for client, appending its reply to out.
    void execute(RespContext& context, RespClient& client, const RespArgs& args,
                 RespWriter& out) const;
    // The command named name (lower case), or null.
    const RespCommand* find(std::string_view name) const;
    const std::vector<RespCommand>& all() const noexcept { return table_; }

    // The process-wide table.
    static const RespCommands& instance();

  private:
    std::vector<RespCommand> table_;  // sorted by name
};

}  // namespace converge::tools
