"""Operations from the command line: `python -m ops backup` and `python -m ops restore`."""
