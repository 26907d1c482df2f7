-- Drills: practice incidents, kept apart from real ones (lists mark them, figures skip them).
ALTER TABLE incidents ADD COLUMN drill boolean NOT NULL DEFAULT false;

-- Drill channels (`drill-YYYYMMDD-NNN`) count on their own: a drill never takes an incident's
-- number. The day's sequence is kept per kind of channel.
ALTER TABLE channel_sequences ADD COLUMN kind text NOT NULL DEFAULT 'incident';
ALTER TABLE channel_sequences DROP CONSTRAINT channel_sequences_pkey;
ALTER TABLE channel_sequences ADD PRIMARY KEY (kind, day);
