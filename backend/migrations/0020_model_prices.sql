-- Prices per model, in millionths of Tandem's currency per million tokens,
-- set by admins: they estimate the cost of sessions whose agent reports
-- tokens but no cost.
CREATE TABLE model_prices (
    model TEXT PRIMARY KEY,
    input_micros BIGINT NOT NULL,
    output_micros BIGINT NOT NULL,
    cached_read_micros BIGINT NOT NULL,
    cached_write_micros BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
