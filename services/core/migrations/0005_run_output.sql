-- `print` output of a run (issue 10): stored with the run, never written to a service log. The
-- executor collects it from the sandbox worker up to HOT_MAX_OUTPUT_BYTES and cuts the rest
-- (`output_truncated`). NULL when the run printed nothing.

ALTER TABLE hot.run ADD COLUMN output text;
ALTER TABLE hot.run ADD COLUMN output_truncated boolean;
