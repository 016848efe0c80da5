-- Generated from warehouse/contract.py by `python -m warehouse ddl`; do not edit by hand.
create schema if not exists raw;

-- One row per user (account), as created at sign-up.
create table if not exists raw.users (
    user_id text not null,
    created_at timestamp not null,
    email text,
    acquisition_channel text,
    device text,
    country text,
    segment text,
    properties jsonb,
    loaded_at timestamp not null,
    batch_id text not null
);

-- One row per session delivery as reported by the tracker. A session may be reported while open and again once ended (the later delivery wins in staging). May be empty: dbt then derives sessions from events.
create table if not exists raw.sessions (
    session_id text not null,
    user_id text not null,
    started_at timestamp not null,
    ended_at timestamp,
    device text,
    channel text,
    country text,
    loaded_at timestamp not null,
    batch_id text not null
);

-- One row per tracked event delivery. The same event_id may arrive more than once (tracker resends).
create table if not exists raw.events (
    event_id text not null,
    user_id text not null,
    session_id text,
    event_name text not null,
    occurred_at timestamp not null,
    device text,
    amount numeric(18, 2),
    properties jsonb,
    loaded_at timestamp not null,
    batch_id text not null
);

-- One row per price plan.
create table if not exists raw.plans (
    plan_id text not null,
    plan_name text not null,
    billing_period text not null,
    price numeric(18, 2) not null,
    currency text not null,
    tier integer not null,
    loaded_at timestamp not null,
    batch_id text not null
);

-- One row per version of a subscription: a new version starts at trial start, paid start and every plan change. valid_to is null for the current version; a cancelled subscription's last version ends when its paid period ends (cancelled_at holds when the customer asked to cancel).
create table if not exists raw.subscriptions (
    subscription_id text not null,
    version integer not null,
    user_id text not null,
    plan_id text not null,
    status text not null,
    change_type text not null,
    valid_from timestamp not null,
    valid_to timestamp,
    cancelled_at timestamp,
    loaded_at timestamp not null,
    batch_id text not null
);

-- One row per payment attempt or refund. Failed charges are retried (retry_of_payment_id links the retry to the attempt before it); refunds reference the refunded charge.
create table if not exists raw.payments (
    payment_id text not null,
    subscription_id text not null,
    user_id text not null,
    plan_id text not null,
    payment_type text not null,
    status text not null,
    amount numeric(18, 2) not null,
    currency text not null,
    attempt_number integer not null,
    retry_of_payment_id text,
    refunded_payment_id text,
    failure_reason text,
    created_at timestamp not null,
    loaded_at timestamp not null,
    batch_id text not null
);

-- One row per channel per day of paid marketing.
create table if not exists raw.marketing_spend (
    spend_date date not null,
    channel text not null,
    spend numeric(18, 2) not null,
    currency text not null,
    impressions bigint,
    clicks bigint,
    loaded_at timestamp not null,
    batch_id text not null
);

-- One row per experiment variant: the experiment's design (goal, window, planned split).
create table if not exists raw.experiments (
    experiment_id text not null,
    variant text not null,
    is_control boolean not null,
    planned_share double precision not null,
    goal_event text not null,
    conversion_window_days integer not null,
    started_at timestamp not null,
    ended_at timestamp,
    description text,
    loaded_at timestamp not null,
    batch_id text not null
);

-- One row per user per experiment: the variant the user was assigned.
create table if not exists raw.experiment_assignments (
    experiment_id text not null,
    user_id text not null,
    variant text not null,
    assigned_at timestamp not null,
    loaded_at timestamp not null,
    batch_id text not null
);

-- One row per input line (or Parquet row) that `python -m warehouse import` could not load, with why.
create table if not exists raw.import_rejects (
    import_id text not null,
    file_name text not null,
    line_number bigint not null,
    record_kind text,
    reason text not null,
    raw_line text,
    loaded_at timestamp not null
);

-- One row per input file an import read: what identifies that version of the file, and its records. `--append` skips a file whose dataset, source, name, size and modification time are already here.
create table if not exists raw.import_files (
    import_id text not null,
    dataset text not null,
    source text not null,
    file_name text not null,
    size_bytes bigint not null,
    modified_at timestamp not null,
    records bigint not null,
    loaded_at timestamp not null
);

-- One row per batch loaded into raw: a full load (sequence 0) replaces them all, each `load --append` adds the next. A batch already here is not loaded again.
create table if not exists raw.load_batches (
    batch_id text not null,
    dataset text not null,
    sequence integer not null,
    first_day date,
    last_day date,
    source text not null,
    row_count bigint not null,
    loaded_at timestamp not null
);
