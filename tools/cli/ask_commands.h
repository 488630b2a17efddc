// The query subcommands of `detente`: temperature, group, timeline, movers,
// actor, status. They speak to detente-query (--query / DETENTE_QUERY).
// Exit codes as in commands.h: 0 success, 1 an error answered by the
// service, 2 usage errors and an unreachable service.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace detente::cli {

struct SeriesCommandOptions {
  std::string address;
  std::vector<std::string> actors;  // a pair, or 2..16 for a group
  std::string from;
  std::string to;
  std::string resolution = "month";
  double half_life = 0;  // 0: the service's default (90)
  std::optional<double> prior;
  bool directed = false;
  uint64_t as_of = 0;
  std::vector<std::string> tags;
  std::string format = "table";  // table | csv | json
};
int RunTemperature(const SeriesCommandOptions& o);
int RunGroup(const SeriesCommandOptions& o);

struct TimelineCommandOptions {
  std::string address;
  std::vector<std::string> actors;  // one actor or a pair
  std::string from;
  std::string to;
  bool directed = false;
  bool include_retracted = false;
  uint32_t page_size = 100;
  bool all = false;  // follow every page
  uint64_t as_of = 0;
  std::string format = "table";  // table | json
};
int RunTimeline(const TimelineCommandOptions& o);

struct MoversCommandOptions {
  std::string address;
  std::string from;
  std::string to;
  uint32_t limit = 10;
  double min_heat = 0;
  double half_life = 0;
  uint64_t as_of = 0;
  std::string format = "table";
};
int RunMovers(const MoversCommandOptions& o);

struct ActorCommandOptions {
  std::string address;
  std::string actor;
  std::string at;
  double half_life = 0;
  uint64_t as_of = 0;
  std::string format = "table";
};
int RunActor(const ActorCommandOptions& o);

int RunStatus(const std::string& address, const std::string& format);

}  // namespace detente::cli
