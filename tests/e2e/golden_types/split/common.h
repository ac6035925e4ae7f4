/* Stand-in for an import of tests/golden/split.defs (both sides). */
