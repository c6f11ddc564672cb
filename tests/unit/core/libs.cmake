# Core tests link only the core library (and the test support/gtest added for all tests).
set(BULKD_TEST_LIBS bulkd_core)
