"""The executor image's command: runs the runner (the codeinterpreter_runner package, PROTOCOL.md).

A script named on the command line is compiled from source at every start; the package's modules
are loaded from the __pycache__ the image build wrote, so this file stays a few lines. Each mode
imports only its own modules.
"""

import os

from codeinterpreter_runner.limits import set_dumpable

# Before anything else: a second lock, besides the code's other uid, on the protocol stream
# through /proc/1/fd (PROTOCOL.md, "Security").
set_dumpable(False)

if os.environ.get('RUNNER_MODE') == 'session':  # persistent interpreter (PROTOCOL.md, "Session mode")
    from codeinterpreter_runner import session as mode
else:
    from codeinterpreter_runner import oneshot as mode
mode.main()  # never returns
