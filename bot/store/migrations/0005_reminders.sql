-- Reminders keep tens of thousands of jobs pending. The scheduler asks two questions many
-- times a second: which jobs are due (a range scan of jobs_due, bounded by due_at) and when
-- the next one is (min due_at of pending rows, min leased_until of running rows). This index
-- answers the lease half without walking every pending row.
CREATE INDEX jobs_running_lease ON jobs (leased_until) WHERE state = 'running';
