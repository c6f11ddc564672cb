# Tests of the tools drive the built binaries as child processes. Building a test here
# also builds the binary it runs (deferred: the test targets are created after this file
# is included, at the end of tests/CMakeLists.txt).
cmake_language(DEFER CALL add_dependencies integration_tools_bulkctl_optout_test bulkctl)
# The audit test runs bulkctl, and a campaign through bulkd.
cmake_language(DEFER CALL add_dependencies integration_tools_bulkctl_audit_test
               bulkctl dev-broker bulkd smsc-sim)
