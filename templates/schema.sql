-- Client app schema: CRM, email, social, content and accommodation modules.
-- 21 tables, 25 RLS policies, 17 indexes. Written for Supabase (auth.uid(), auth.jwt(),
-- roles anon / authenticated / service_role). Re-runnable: every statement is
-- "if not exists" or drop-then-create. The provisioner applies it in one transaction.

-- ───────────── core ─────────────

create table if not exists public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  full_name text,
  avatar_url text,
  timezone text not null default 'Africa/Johannesburg',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists public.audit_log (
  id bigint generated always as identity primary key,
  actor_id uuid references auth.users (id) on delete set null,
  action text not null,
  entity text not null,
  entity_id text,
  payload jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);

-- ───────────── crm ─────────────

create table if not exists public.companies (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null,
  website text,
  industry text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists public.contacts (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  company_id uuid references public.companies (id) on delete set null,
  first_name text not null,
  last_name text,
  email text,
  phone text,
  source text,
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists public.pipeline_stages (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null,
  position smallint not null,
  is_won boolean not null default false,
  created_at timestamptz not null default now(),
  unique (owner_id, position)
);

create table if not exists public.deals (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  contact_id uuid references public.contacts (id) on delete set null,
  stage_id uuid references public.pipeline_stages (id) on delete set null,
  title text not null,
  value_cents bigint not null default 0 check (value_cents >= 0),
  currency char(3) not null default 'ZAR',
  expected_close_on date,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists public.activities (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  contact_id uuid references public.contacts (id) on delete cascade,
  deal_id uuid references public.deals (id) on delete cascade,
  kind text not null check (kind in ('call', 'email', 'meeting', 'note', 'task')),
  body text,
  occurred_at timestamptz not null default now(),
  created_at timestamptz not null default now()
);

-- ───────────── email ─────────────

create table if not exists public.email_templates (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null,
  subject text not null,
  body_html text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists public.email_campaigns (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  template_id uuid references public.email_templates (id) on delete set null,
  name text not null,
  status text not null default 'draft' check (status in ('draft', 'scheduled', 'sending', 'sent', 'cancelled')),
  scheduled_at timestamptz,
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists public.email_recipients (
  id uuid primary key default gen_random_uuid(),
  campaign_id uuid not null references public.email_campaigns (id) on delete cascade,
  contact_id uuid not null references public.contacts (id) on delete cascade,
  status text not null default 'queued' check (status in ('queued', 'sent', 'bounced', 'unsubscribed')),
  created_at timestamptz not null default now(),
  unique (campaign_id, contact_id)
);

create table if not exists public.email_events (
  id bigint generated always as identity primary key,
  recipient_id uuid not null references public.email_recipients (id) on delete cascade,
  kind text not null check (kind in ('delivered', 'opened', 'clicked', 'bounced', 'complained')),
  url text,
  occurred_at timestamptz not null default now()
);

-- ───────────── social ─────────────

create table if not exists public.social_accounts (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  platform text not null check (platform in ('facebook', 'instagram', 'linkedin', 'x', 'tiktok')),
  handle text not null,
  external_id text,
  connected_at timestamptz not null default now(),
  unique (owner_id, platform, handle)
);

create table if not exists public.social_posts (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  account_id uuid not null references public.social_accounts (id) on delete cascade,
  body text not null,
  media_urls text[] not null default '{}',
  status text not null default 'draft' check (status in ('draft', 'scheduled', 'published', 'failed')),
  scheduled_for timestamptz,
  published_at timestamptz,
  created_at timestamptz not null default now()
);

create table if not exists public.social_post_metrics (
  id bigint generated always as identity primary key,
  post_id uuid not null references public.social_posts (id) on delete cascade,
  impressions integer not null default 0,
  likes integer not null default 0,
  comments integer not null default 0,
  shares integer not null default 0,
  captured_at timestamptz not null default now()
);

-- ───────────── content ─────────────

create table if not exists public.content_categories (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique,
  name text not null,
  created_at timestamptz not null default now()
);

create table if not exists public.content_items (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  category_id uuid references public.content_categories (id) on delete set null,
  slug text not null,
  title text not null,
  body_md text not null default '',
  status text not null default 'draft' check (status in ('draft', 'review', 'published', 'archived')),
  published_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (owner_id, slug)
);

create table if not exists public.media_assets (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  storage_path text not null,
  mime_type text not null,
  size_bytes bigint not null check (size_bytes >= 0),
  alt_text text,
  created_at timestamptz not null default now()
);

-- ───────────── accommodation ─────────────

create table if not exists public.properties (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null,
  address text,
  city text,
  country char(2) not null default 'ZA',
  is_listed boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists public.rooms (
  id uuid primary key default gen_random_uuid(),
  property_id uuid not null references public.properties (id) on delete cascade,
  name text not null,
  capacity smallint not null check (capacity > 0),
  created_at timestamptz not null default now()
);

create table if not exists public.room_rates (
  id uuid primary key default gen_random_uuid(),
  room_id uuid not null references public.rooms (id) on delete cascade,
  valid_from date not null,
  valid_to date not null,
  nightly_cents bigint not null check (nightly_cents >= 0),
  currency char(3) not null default 'ZAR',
  check (valid_to > valid_from)
);

create table if not exists public.bookings (
  id uuid primary key default gen_random_uuid(),
  room_id uuid not null references public.rooms (id) on delete restrict,
  guest_user_id uuid references auth.users (id) on delete set null,
  guest_name text not null,
  guest_email text not null,
  check_in date not null,
  check_out date not null,
  status text not null default 'pending' check (status in ('pending', 'confirmed', 'cancelled', 'completed')),
  total_cents bigint not null default 0 check (total_cents >= 0),
  created_at timestamptz not null default now(),
  check (check_out > check_in)
);

-- ───────────── indexes (foreign keys and the lists the app shows) ─────────────

create index if not exists companies_owner_id_idx on public.companies (owner_id);
create index if not exists contacts_owner_id_idx on public.contacts (owner_id);
create index if not exists contacts_company_id_idx on public.contacts (company_id);
create index if not exists contacts_email_idx on public.contacts (lower(email));
create index if not exists deals_owner_stage_idx on public.deals (owner_id, stage_id);
create index if not exists deals_contact_id_idx on public.deals (contact_id);
create index if not exists activities_contact_occurred_idx on public.activities (contact_id, occurred_at desc);
create index if not exists email_campaigns_owner_status_idx on public.email_campaigns (owner_id, status);
create index if not exists email_recipients_contact_id_idx on public.email_recipients (contact_id);
create index if not exists email_events_recipient_occurred_idx on public.email_events (recipient_id, occurred_at);
create index if not exists social_posts_owner_scheduled_idx on public.social_posts (owner_id, scheduled_for);
create index if not exists social_post_metrics_post_captured_idx on public.social_post_metrics (post_id, captured_at desc);
create index if not exists content_items_published_idx on public.content_items (status, published_at desc);
create index if not exists media_assets_owner_id_idx on public.media_assets (owner_id);
create index if not exists rooms_property_id_idx on public.rooms (property_id);
create index if not exists bookings_room_check_in_idx on public.bookings (room_id, check_in);
create index if not exists bookings_guest_user_id_idx on public.bookings (guest_user_id);

-- ───────────── row-level security ─────────────

alter table public.profiles enable row level security;
alter table public.audit_log enable row level security;
alter table public.companies enable row level security;
alter table public.contacts enable row level security;
alter table public.pipeline_stages enable row level security;
alter table public.deals enable row level security;
alter table public.activities enable row level security;
alter table public.email_templates enable row level security;
alter table public.email_campaigns enable row level security;
alter table public.email_recipients enable row level security;
alter table public.email_events enable row level security;
alter table public.social_accounts enable row level security;
alter table public.social_posts enable row level security;
alter table public.social_post_metrics enable row level security;
alter table public.content_categories enable row level security;
alter table public.content_items enable row level security;
alter table public.media_assets enable row level security;
alter table public.properties enable row level security;
alter table public.rooms enable row level security;
alter table public.room_rates enable row level security;
alter table public.bookings enable row level security;

drop policy if exists "Users manage their own profile" on public.profiles;
create policy "Users manage their own profile" on public.profiles
  for all to authenticated using (auth.uid() = id) with check (auth.uid() = id);

-- Writes come from the service role (it bypasses RLS); admins read.
drop policy if exists "Admins read the audit log" on public.audit_log;
create policy "Admins read the audit log" on public.audit_log
  for select to authenticated using ((auth.jwt() -> 'app_metadata' ->> 'role') = 'admin');

drop policy if exists "Owners manage their companies" on public.companies;
create policy "Owners manage their companies" on public.companies
  for all to authenticated using (auth.uid() = owner_id) with check (auth.uid() = owner_id);

-- Contacts are archived, not deleted, by users: no delete policy.
drop policy if exists "Owners read their contacts" on public.contacts;
create policy "Owners read their contacts" on public.contacts
  for select to authenticated using (auth.uid() = owner_id);
drop policy if exists "Owners add contacts" on public.contacts;
create policy "Owners add contacts" on public.contacts
  for insert to authenticated with check (auth.uid() = owner_id);
drop policy if exists "Owners update their contacts" on public.contacts;
create policy "Owners update their contacts" on public.contacts
  for update to authenticated using (auth.uid() = owner_id) with check (auth.uid() = owner_id);

drop policy if exists "Owners manage their pipeline" on public.pipeline_stages;
create policy "Owners manage their pipeline" on public.pipeline_stages
  for all to authenticated using (auth.uid() = owner_id) with check (auth.uid() = owner_id);

drop policy if exists "Owners manage their deals" on public.deals;
create policy "Owners manage their deals" on public.deals
  for all to authenticated using (auth.uid() = owner_id) with check (auth.uid() = owner_id);

drop policy if exists "Owners manage their activities" on public.activities;
create policy "Owners manage their activities" on public.activities
  for all to authenticated using (auth.uid() = owner_id) with check (auth.uid() = owner_id);

drop policy if exists "Owners manage their email templates" on public.email_templates;
create policy "Owners manage their email templates" on public.email_templates
  for all to authenticated using (auth.uid() = owner_id) with check (auth.uid() = owner_id);

drop policy if exists "Owners manage their campaigns" on public.email_campaigns;
create policy "Owners manage their campaigns" on public.email_campaigns
  for all to authenticated using (auth.uid() = owner_id) with check (auth.uid() = owner_id);

drop policy if exists "Campaign owners manage recipients" on public.email_recipients;
create policy "Campaign owners manage recipients" on public.email_recipients
  for all to authenticated
  using (exists (select 1 from public.email_campaigns c where c.id = campaign_id and c.owner_id = auth.uid()))
  with check (exists (select 1 from public.email_campaigns c where c.id = campaign_id and c.owner_id = auth.uid()));

-- Events are written by the mail provider's webhook (service role).
drop policy if exists "Campaign owners read email events" on public.email_events;
create policy "Campaign owners read email events" on public.email_events
  for select to authenticated
  using (exists (
    select 1 from public.email_recipients r join public.email_campaigns c on c.id = r.campaign_id
    where r.id = recipient_id and c.owner_id = auth.uid()
  ));

drop policy if exists "Owners manage their social accounts" on public.social_accounts;
create policy "Owners manage their social accounts" on public.social_accounts
  for all to authenticated using (auth.uid() = owner_id) with check (auth.uid() = owner_id);

drop policy if exists "Owners manage their social posts" on public.social_posts;
create policy "Owners manage their social posts" on public.social_posts
  for all to authenticated using (auth.uid() = owner_id) with check (auth.uid() = owner_id);

drop policy if exists "Post owners read metrics" on public.social_post_metrics;
create policy "Post owners read metrics" on public.social_post_metrics
  for select to authenticated
  using (exists (select 1 from public.social_posts p where p.id = post_id and p.owner_id = auth.uid()));

drop policy if exists "Categories are public" on public.content_categories;
create policy "Categories are public" on public.content_categories
  for select to anon, authenticated using (true);

drop policy if exists "Published content is public" on public.content_items;
create policy "Published content is public" on public.content_items
  for select to anon, authenticated using (status = 'published');
drop policy if exists "Owners manage their content" on public.content_items;
create policy "Owners manage their content" on public.content_items
  for all to authenticated using (auth.uid() = owner_id) with check (auth.uid() = owner_id);

drop policy if exists "Owners manage their media" on public.media_assets;
create policy "Owners manage their media" on public.media_assets
  for all to authenticated using (auth.uid() = owner_id) with check (auth.uid() = owner_id);

drop policy if exists "Listed properties are public" on public.properties;
create policy "Listed properties are public" on public.properties
  for select to anon, authenticated using (is_listed);
drop policy if exists "Owners manage their properties" on public.properties;
create policy "Owners manage their properties" on public.properties
  for all to authenticated using (auth.uid() = owner_id) with check (auth.uid() = owner_id);

drop policy if exists "Property owners manage rooms" on public.rooms;
create policy "Property owners manage rooms" on public.rooms
  for all to authenticated
  using (exists (select 1 from public.properties p where p.id = property_id and p.owner_id = auth.uid()))
  with check (exists (select 1 from public.properties p where p.id = property_id and p.owner_id = auth.uid()));

drop policy if exists "Property owners manage rates" on public.room_rates;
create policy "Property owners manage rates" on public.room_rates
  for all to authenticated
  using (exists (
    select 1 from public.rooms r join public.properties p on p.id = r.property_id
    where r.id = room_id and p.owner_id = auth.uid()
  ))
  with check (exists (
    select 1 from public.rooms r join public.properties p on p.id = r.property_id
    where r.id = room_id and p.owner_id = auth.uid()
  ));

-- Guests see their own bookings, property owners those of their rooms, agency admins all
-- (app_metadata is set by the service role only, so users cannot grant themselves the role).
drop policy if exists "Guests, owners and admins read bookings" on public.bookings;
create policy "Guests, owners and admins read bookings" on public.bookings
  for select to authenticated
  using (
    auth.uid() = guest_user_id
    or (auth.jwt() -> 'app_metadata' ->> 'role') = 'admin'
    or exists (
      select 1 from public.rooms r join public.properties p on p.id = r.property_id
      where r.id = room_id and p.owner_id = auth.uid()
    )
  );
