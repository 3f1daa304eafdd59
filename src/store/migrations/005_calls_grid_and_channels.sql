-- The grid of calls is newest first with an (entered_at, id) cursor, filtered by result (the lost
-- calls: abandoned) or by queue; one index per filter keeps a page one range read at a million
-- calls. Both filters together walk the queue's index and skip the other results.
CREATE INDEX calls_entered ON calls (entered_at, id);
CREATE INDEX calls_result_entered ON calls (result, entered_at, id);
CREATE INDEX calls_queue_entered ON calls (queue, entered_at, id);

-- An outbound call id (a placeholder or customer channel) finds its attempt, and through it the
-- callback and the call it came from. Partial: a customer-first attempt has no placeholder, and
-- an agent-first one no customer channel until an agent took the placeholder.
CREATE INDEX attempts_customer_ref ON attempts (customer_ref) WHERE customer_ref IS NOT NULL;
CREATE INDEX attempts_placeholder_ref ON attempts (placeholder_ref) WHERE placeholder_ref IS NOT NULL;
