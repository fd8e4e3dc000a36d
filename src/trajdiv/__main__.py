"""``python -m trajdiv``."""

from trajdiv.cli import main

main()
