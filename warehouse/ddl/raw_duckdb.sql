-- Generated from warehouse/contract.py by `python -m warehouse ddl`; do not edit by hand.
create schema if not exists raw;

-- One row per user (account), as created at sign-up.
create table if not exists raw.users (
    user_id varchar not null,
    created_at timestamp not null,
    email varchar,
    acquisition_channel varchar,
    device varchar,
    country varchar,
    segment varchar,
    properties json,
    loaded_at timestamp not null,
    batch_id varchar not null
);

-- One row per session delivery as reported by the tracker. A session may be reported while open and again once ended (the later delivery wins in staging). May be empty: dbt then derives sessions from events.
create table if not exists raw.sessions (
    session_id varchar not null,
    user_id varchar not null,
    started_at timestamp not null,
    ended_at timestamp,
    device varchar,
    channel varchar,
    country varchar,
    loaded_at timestamp not null,
    batch_id varchar not null
);

-- One row per tracked event delivery. The same event_id may arrive more than once (tracker resends).
create table if not exists raw.events (
    event_id varchar not null,
    user_id varchar not null,
    session_id varchar,
    event_name varchar not null,
    occurred_at timestamp not null,
    device varchar,
    amount decimal(18, 2),
    properties json,
    loaded_at timestamp not null,
    batch_id varchar not null
);

-- One row per price plan.
create table if not exists raw.plans (
    plan_id varchar not null,
    plan_name varchar not null,
    billing_period varchar not null,
    price decimal(18, 2) not null,
    currency varchar not null,
    tier integer not null,
    loaded_at timestamp not null,
    batch_id varchar not null
);

-- One row per version of a subscription: a new version starts at trial start, paid start and every plan change. valid_to is null for the current version; a cancelled subscription's last version ends when its paid period ends (cancelled_at holds when the customer asked to cancel).
create table if not exists raw.subscriptions (
    subscription_id varchar not null,
    version integer not null,
    user_id varchar not null,
    plan_id varchar not null,
    status varchar not null,
    change_type varchar not null,
    valid_from timestamp not null,
    valid_to timestamp,
    cancelled_at timestamp,
    loaded_at timestamp not null,
    batch_id varchar not null
);

-- One row per payment attempt or refund. Failed charges are retried (retry_of_payment_id links the retry to the attempt before it); refunds reference the refunded charge.
create table if not exists raw.payments (
    payment_id varchar not null,
    subscription_id varchar not null,
    user_id varchar not null,
    plan_id varchar not null,
    payment_type varchar not null,
    status varchar not null,
    amount decimal(18, 2) not null,
    currency varchar not null,
    attempt_number integer not null,
    retry_of_payment_id varchar,
    refunded_payment_id varchar,
    failure_reason varchar,
    created_at timestamp not null,
    loaded_at timestamp not null,
    batch_id varchar not null
);

-- One row per channel per day of paid marketing.
create table if not exists raw.marketing_spend (
    spend_date date not null,
    channel varchar not null,
    spend decimal(18, 2) not null,
    currency varchar not null,
    impressions bigint,
    clicks bigint,
    loaded_at timestamp not null,
    batch_id varchar not null
);

-- One row per experiment variant: the experiment's design (goal, window, planned split).
create table if not exists raw.experiments (
    experiment_id varchar not null,
    variant varchar not null,
    is_control boolean not null,
    planned_share double not null,
    goal_event varchar not null,
    conversion_window_days integer not null,
    started_at timestamp not null,
    ended_at timestamp,
    description varchar,
    loaded_at timestamp not null,
    batch_id varchar not null
);

-- One row per user per experiment: the variant the user was assigned.
create table if not exists raw.experiment_assignments (
    experiment_id varchar not null,
    user_id varchar not null,
    variant varchar not null,
    assigned_at timestamp not null,
    loaded_at timestamp not null,
    batch_id varchar not null
);

-- One row per input line (or Parquet row) that `python -m warehouse import` could not load, with why.
create table if not exists raw.import_rejects (
    import_id varchar not null,
    file_name varchar not null,
    line_number bigint not null,
    record_kind varchar,
    reason varchar not null,
    raw_line varchar,
    loaded_at timestamp not null
);

-- One row per input file an import read: what identifies that version of the file, and its records. `--append` skips a file whose dataset, source, name, size and modification time are already here.
create table if not exists raw.import_files (
    import_id varchar not null,
    dataset varchar not null,
    source varchar not null,
    file_name varchar not null,
    size_bytes bigint not null,
    modified_at timestamp not null,
    records bigint not null,
    loaded_at timestamp not null
);

-- One row per batch loaded into raw: a full load (sequence 0) replaces them all, each `load --append` adds the next. A batch already here is not loaded again.
create table if not exists raw.load_batches (
    batch_id varchar not null,
    dataset varchar not null,
    sequence integer not null,
    first_day date,
    last_day date,
    source varchar not null,
    row_count bigint not null,
    loaded_at timestamp not null
);
