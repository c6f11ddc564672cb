set(BULKD_TEST_LIBS bulkd_ratelimit bulkd_core)
