/** Unit tests are hermetic: they never pick up results a local end-to-end run left in out/e2e/. */
process.env.BULWARK_E2E_RESULTS = '/nonexistent/bulwark-e2e-results.json';
