-- 011: which spend days came from a daily spend file (an ad platform's export). A campaign with any such
-- day keeps its days when a later export brings its total cost again: a cost spread evenly over the
-- campaign's days would otherwise overwrite and delete what the daily file said (data/importers/plan.py).
alter table campaign_spend add column from_daily_file boolean default false;
