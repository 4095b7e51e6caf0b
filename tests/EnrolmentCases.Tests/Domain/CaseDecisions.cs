using EnrolmentCases.Cases;
using EnrolmentCases.Cases.Closing;
using EnrolmentCases.Cases.Contacting;
using EnrolmentCases.Cases.Enrolling;
using EnrolmentCases.Cases.Identifying;
using EnrolmentCases.Cases.Reopening;

namespace EnrolmentCases.Tests.Domain;

/// <summary>The stage rules, exercised on the pure decisions and the aggregate without a database.</summary>
public class CaseDecisions
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 8, 0, 0, TimeSpan.FromHours(7));

    private static Case Identified()
    {
        var command = new IdentifyWorker("1704015506900001", " Siti Aminah ", "17.04", "farmer", WorkerSource.P3Ke, Phone: "+62 812-7000-1234");
        return Case.Create(IdentifyWorkerEndpoint.Decide(command, Guid.NewGuid(), Now));
    }

    private static Case Apply(Case state, IEnumerable<object> events)
    {
        foreach (var e in events)
        {
            switch (e)
            {
                case ContactAttempted x: state.Apply(x); break;
                case WorkerEnrolled x: state.Apply(x); break;
                case CaseClosed x: state.Apply(x); break;
                case CaseReopened x: state.Apply(x); break;
                default: throw new InvalidOperationException($"unexpected {e.GetType().Name}");
            }
        }

        return state;
    }

    private static Case Reached(Case state) =>
        Apply(state, RecordContactAttemptEndpoint.Decide(state, new(ContactChannel.Visit, ContactOutcome.Reached, null, null, null), Now));

    private static Case Enrolled(Case state) =>
        Apply(state, EnrolWorkerEndpoint.Decide(state,
            new("12345678901", [Programme.Jkm, Programme.Jkk], 1_000_000, new DateOnly(2026, 2, 1), null), Now));

    [Fact]
    public void identifying_trims_names_and_normalises_the_phone()
    {
        var state = Identified();
        Assert.Equal("Siti Aminah", state.FullName);
        Assert.Equal("+6281270001234", state.Phone);
        Assert.Equal(CaseStage.Identified, state.Stage);
    }

    [Theory]
    [InlineData(ContactOutcome.Unreachable)]
    [InlineData(ContactOutcome.Refused)]
    [InlineData(ContactOutcome.WrongContact)]
    public void an_unsuccessful_attempt_is_counted_but_leaves_the_stage(ContactOutcome outcome)
    {
        var state = Identified();
        Apply(state, RecordContactAttemptEndpoint.Decide(state, new(ContactChannel.Phone, outcome, null, null, null), Now));
        Assert.Equal(CaseStage.Identified, state.Stage);
        Assert.Equal(1, state.ContactAttempts);
    }

    [Fact]
    public void reaching_the_worker_moves_the_case_to_contacted()
    {
        var state = Reached(Identified());
        Assert.Equal(CaseStage.Contacted, state.Stage);
    }

    [Fact]
    public void a_contact_attempt_keeps_its_field_time_apart_from_when_it_was_recorded()
    {
        var state = Identified();
        var inTheField = Now.AddDays(-2);
        var events = RecordContactAttemptEndpoint.Decide(state, new(ContactChannel.Visit, ContactOutcome.Reached, null, inTheField, null), Now);
        var attempt = Assert.IsType<ContactAttempted>(Assert.Single(events));
        Assert.Equal(inTheField, attempt.OccurredAt);
        Assert.Equal(Now, attempt.RecordedAt);
    }

    [Fact]
    public void reaching_an_enrolled_worker_again_does_not_move_the_stage_back()
    {
        var state = Reached(Enrolled(Reached(Identified())));
        Assert.Equal(CaseStage.Enrolled, state.Stage);
        Assert.Equal(2, state.ContactAttempts);
    }

    [Fact]
    public void enrolment_records_membership_and_sorted_programmes()
    {
        var state = Enrolled(Reached(Identified()));
        Assert.Equal(CaseStage.Enrolled, state.Stage);
        Assert.Equal("12345678901", state.MembershipNumber);
        Assert.Equal([Programme.Jkk, Programme.Jkm], state.Programmes);
        Assert.Equal(new DateOnly(2026, 2, 1), state.EnrolmentEffectiveDate);
    }

    [Fact]
    public void only_a_contacted_worker_can_be_enrolled()
    {
        var identified = Identified();
        var error = Assert.Throws<InvalidTransition>(() => Enrolled(identified));
        Assert.Equal(CaseStage.Identified, error.Stage);

        var enrolled = Enrolled(Reached(Identified()));
        Assert.Throws<InvalidTransition>(() => Enrolled(enrolled));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void closing_remembers_the_stage_and_reopening_returns_to_it(int steps)
    {
        var state = Identified();
        if (steps >= 1) state = Reached(state);
        if (steps >= 2) state = Enrolled(state);
        var before = state.Stage;

        Apply(state, CloseCaseEndpoint.Decide(state, new(ClosureReason.Declined, null, null), Now));
        Assert.Equal(CaseStage.Closed, state.Stage);
        Assert.Equal(ClosureReason.Declined, state.ClosedReason);

        Apply(state, ReopenCaseEndpoint.Decide(state, new("worker changed their mind", null), Now));
        Assert.Equal(before, state.Stage);
        Assert.Null(state.ClosedReason);
    }

    [Fact]
    public void a_closed_case_cannot_be_closed_again_or_contacted()
    {
        var state = Identified();
        Apply(state, CloseCaseEndpoint.Decide(state, new(ClosureReason.Deceased, null, null), Now));
        Assert.Throws<InvalidTransition>(() => CloseCaseEndpoint.Decide(state, new(ClosureReason.Declined, null, null), Now));
        Assert.Throws<InvalidTransition>(() => Reached(state));
    }

    [Fact]
    public void only_a_closed_case_can_be_reopened()
    {
        var error = Assert.Throws<InvalidTransition>(() => ReopenCaseEndpoint.Decide(Identified(), new("again", null), Now));
        Assert.Equal(CaseStage.Identified, error.Stage);
    }
}
