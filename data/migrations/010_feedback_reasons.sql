-- 010: a store starts with a standard list of reasons sales may reject a lead for, so a rejection (which
-- needs a reason) works before anyone has curated the list. Seeded only into an empty list: a store that
-- already holds reasons (its own, or the demo's) keeps exactly those. The reasons record who added them
-- (data.feedback.STANDARD_REASONS_BY) and when; admins retire, reinstate and add to them on the Feedback
-- page, and the demo build replaces them with its own list. Codes and labels are the demo's active
-- reasons, so analytics read alike on the demo and on a real store.
insert into feedback_reasons (reason_code, label, is_active, added_at, added_by_rep_id)
select reason_code, label, true, date_trunc('second', localtimestamp), 'tandem'
from (values
    ('no_budget', 'No budget'),
    ('no_project', 'No active project'),
    ('wrong_persona', 'Wrong persona (not a buyer)'),
    ('student_or_job_seeker', 'Student or job seeker'),
    ('competitor', 'Competitor or vendor'),
    ('bad_contact_data', 'Bad contact data'),
    ('duplicate', 'Duplicate of an existing lead'),
    ('not_icp_company_size', 'Company size outside our ICP')
) as standard (reason_code, label)
where not exists (select 1 from feedback_reasons);
