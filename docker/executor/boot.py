"""The executor image's command: runs the runner (runner.py, PROTOCOL.md) from its compiled module.

A script named on the command line is compiled from source at every start (~6 ms for runner.py,
paid by every sandbox); an imported module is loaded from the __pycache__ the image build wrote.
"""

import runner

runner.main()
