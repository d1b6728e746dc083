"""`python -m smsgate.cli`, the same as the `smsgate` console script."""

from smsgate.cli.root import main

main()
