"""The policy file: reading it with every problem at once, merging it into the defaults, showing it.

The policy's shape (`Policy` and its sections) is in `bot.config`; this package reads a file into
one and says what is wrong with it, each problem at its file, line and path.
"""
