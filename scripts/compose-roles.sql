-- The API's two database roles, created once when docker-compose.yml's PostgreSQL starts on an empty volume
-- (docs/adr/0016-least-privilege-database-roles.md). enrolment_owner owns the schema and applies every change
-- to it (the one-shot db-apply service); enrolment_api is what the API nodes serve as. Development passwords,
-- like the rest of docker-compose.yml: change them anywhere else.
create role enrolment_owner login password 'enrolment-owner';
create role enrolment_api login password 'enrolment-api';
-- The owner creates the API's schema; the runtime role only the replay verification's scratch copies.
grant create on database enrolment to enrolment_owner, enrolment_api;
