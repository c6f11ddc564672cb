// bench/spawn_sim.h — starts a simulator (smsc-sim, bizmsg-sim) for a standalone bench
// and reads the port from its first stdout line ("... listening on 127.0.0.1:<port>").
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

// Returns the child's pid, or -1 when it could not start or printed no port.
inline pid_t SpawnSim(const std::vector<std::string>& args, uint16_t& port) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string line;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  const size_t colon = line.rfind(':');
  if (colon == std::string::npos) return -1;
  port = static_cast<uint16_t>(std::stoi(line.substr(colon + 1)));
  return pid;
}
