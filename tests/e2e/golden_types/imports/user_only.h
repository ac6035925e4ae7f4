/* Stand-in for an imported header of tests/golden/imports.defs. */
