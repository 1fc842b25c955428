import sys

from staff_console.cli import main

sys.exit(main())
