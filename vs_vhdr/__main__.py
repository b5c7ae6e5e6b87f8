"""``python -m vs_vhdr`` runs the ``vhdr`` command."""

import sys

from vs_vhdr.cli.main import main

sys.exit(main())
