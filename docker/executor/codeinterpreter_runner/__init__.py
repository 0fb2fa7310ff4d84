"""The sandbox runner: what the executor image's command (/opt/runner/boot.py) runs.

The wire protocol is PROTOCOL.md next to this package. Each module is one concern, and imports go
one way: a module imports only modules of the layers below its own.

  4  oneshot      one-shot mode: boot, one request, one program, its result
     session      session mode: boot, then ops (`files`, `execute`) until stdin ends
  3  program      one program: fork its process ahead of the request, hand over, relay, result
     cell         one session cell: hand it to the interpreter, relay, interrupt, restart
  2  child        the program's forked process: limits, stdio, runs the code, announces its exit
     interpreter  the session's interpreter process, its control socket and the supervisor's handle
  1  workspace    input files, the snapshot, generated files as `f` frames
     relay        a code process's pipes as `o`/`e` frames, its stdin, its end
     usercode     compiling and running the user's code in this process, its tracebacks
     display      display items of the code: display(), the REPL echo, as MIME bundles
     limits       rlimits, OOM kills
     usage        CPU time and peak memory from the cgroup, wall time
     startup      matplotlib's config directory, preloads
  0  protocol     JSON, frames to and from the service, request fields
     identity     the runner's identity (root, three capabilities) and the code's (the sandbox user)

This file imports nothing: each mode imports only the modules it uses (boot.py picks the mode), and
every module is paid for at every sandbox start (the import system's own work is some 0.35 million
instructions a module, on top of running the module's body).
"""
