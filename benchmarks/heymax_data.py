"""A generator of HeyMax-format event CSVs of any size (for the importer's benchmark and its memory test).

The columns and value shapes are those of ../shared/datasets/heymax/event_stream.csv: microsecond timestamps over
``days`` days (not in time order), ``u_NNNN`` user ids (one user per 33 lines, at most 300,000 by default), the
same event mix, a transaction category for earn/redeem/search events, whole-mile amounts written ``516.0``, a
platform per event, and a channel and country fixed per user. The same arguments always give the same file.
"""

from __future__ import annotations

from pathlib import Path

EVENT_MIX = (("miles_earned", 5613), ("reward_search", 1533), ("miles_redeemed", 1362), ("share", 979), ("like", 513))
CATEGORIES = ("flight", "hotel", "lululemon", "dining", "ecommerce", "shopping", "shopee", "apple")


def write_heymax_csv(path: Path, lines: int, seed: int = 0, days: int = 180, users: int | None = None) -> None:
    """A HeyMax-format CSV of ``lines`` events (plus the header), the same for the same arguments."""
    import duckdb

    users = users or min(300_000, max(100, lines // 33))
    width = max(4, len(str(users - 1)))
    span = days * 86_400_000_000
    bounds, total = [], 0
    for name, weight in EVENT_MIX:
        total += weight
        bounds.append(f"when t < {total} then '{name}'")
    categories = "[" + ", ".join(f"'{c}'" for c in CATEGORIES) + "]"
    tmp = path.with_name(path.name + ".part")
    with duckdb.connect() as con:
        con.execute("set preserve_insertion_order = true")
        con.execute(f"""
            copy (
                select
                    strftime(timestamp '2025-03-07' + to_microseconds((h2 % {span})::bigint), '%Y-%m-%d %H:%M:%S.%f')
                        as event_time,
                    'u_' || lpad(u::varchar, {width}, '0') as user_id,
                    event_type,
                    case when event_type in ('miles_earned', 'miles_redeemed', 'reward_search')
                        then {categories}[1 + (h3 % 8)::integer] end as transaction_category,
                    case when event_type = 'miles_earned' then (80 + h4 % 1120)::varchar || '.0'
                        when event_type = 'miles_redeemed' then (800 + h4 % 1600)::varchar || '.0' end as miles_amount,
                    ['web', 'ios', 'android'][1 + (h3 // 8 % 3)::integer] as platform,
                    ['facebook', 'google', 'referral', 'organic', 'tiktok'][1 + (hash(u, {seed}, 6) % 5)::integer]
                        as utm_source,
                    ['SG', 'MY', 'PH', 'ID', 'TH'][1 + (hash(u, {seed}, 7) % 5)::integer] as country
                from (
                    select hash(i, {seed}, 1) % {users} as u, hash(i, {seed}, 2) as h2, hash(i, {seed}, 3) as h3,
                        hash(i, {seed}, 4) as h4, case {" ".join(bounds)} end as event_type
                    from (select i, hash(i, {seed}, 5) % {total} as t from range({lines}) as r(i))
                )
            ) to '{tmp}' (header, delimiter ',')
        """)
    tmp.rename(path)
