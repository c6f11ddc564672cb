set(BULKD_TEST_LIBS bulkd_providers bulkd_core)
