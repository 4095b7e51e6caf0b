using EnrolmentCases.Cases;
using EnrolmentCases.Cases.Closing;
using EnrolmentCases.Cases.Contacting;
using EnrolmentCases.Cases.Enrolling;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Cases.Identifying;
using EnrolmentCases.Cases.Reopening;
using EnrolmentCases.Money;

namespace EnrolmentCases.Tests.Domain;

/// <summary>The stage rules, on the pure decisions, the aggregate and the case view, without a database.</summary>
public class CaseDecisions
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 8, 0, 0, TimeSpan.FromHours(7));

    /// <summary>A case's history: the aggregate the decisions see, and the view people read, both folded from it.</summary>
    private sealed record History(Case Case, CaseDetails View)
    {
        public History Then(Func<Case, Decision> decide)
        {
            var decision = decide(Case);
            Assert.Null(decision.Refusal);
            return decision.Events.Aggregate(this, (h, e) => new History(h.Case.After(e), Fold(h.View, e)));
        }

        private static CaseDetails Fold(CaseDetails view, object e) => e switch
        {
            ContactAttempted x => CaseDetails.Apply(x, view),
            WorkerEnrolled x => CaseDetails.Apply(x, view),
            CaseClosed x => CaseDetails.Apply(x, view),
            CaseReopened x => CaseDetails.Apply(x, view),
            _ => throw new InvalidOperationException($"unexpected {e.GetType().Name}")
        };
    }

    private static readonly (EnrolmentCases.Privacy.PersonSeal Seal, EnrolmentCases.Privacy.PersonKeyring Keys) Person =
        TestPrivacy.Person("1704015506900001");

    private static History Identified()
    {
        var command = new IdentifyWorker("1704015506900001", " Siti Aminah ", "17.04", "farmer", WorkerSource.P3Ke, Phone: "+62 812-7000-1234");
        var identified = IdentifyWorkerEndpoint.Decide(command, Guid.NewGuid(), Now, Person.Seal);
        return new History(Case.Opened(identified), CaseDetails.Create(identified));
    }

    private static RecordContactAttempt Attempt(ContactOutcome outcome, DateTimeOffset? at = null) => new(ContactChannel.Visit, outcome, null, at);

    private static readonly EnrolWorker Enrolment = new("12345678901", [Programme.Jkm, Programme.Jkk], 1_000_000, new DateOnly(2026, 2, 1));

    private static History Reached(History h) => h.Then(c => RecordContactAttemptEndpoint.Decide(c, Attempt(ContactOutcome.Reached), Now));

    private static History Enrolled(History h) => h.Then(c => EnrolWorkerEndpoint.Decide(c, Enrolment, Now));

    private static void AssertRefusedAt(CaseStage stage, Decision decision)
    {
        Assert.Empty(decision.Events);
        Assert.Equal("/problems/invalid-transition", decision.Refusal!.Type);
        Assert.Equal(stage, decision.Refusal.Extensions["stage"]);
    }

    [Fact]
    public void identifying_trims_names_and_normalises_the_phone()
    {
        var history = Identified();
        Assert.Equal("Siti Aminah", history.View.Revealed(Person.Keys).FullName);
        Assert.Equal("+6281270001234", history.View.Revealed(Person.Keys).Phone);
        Assert.DoesNotContain("Siti", history.View.FullName);
        Assert.Equal(CaseStage.Identified, history.Case.Stage);
    }

    [Theory]
    [InlineData(ContactOutcome.Unreachable)]
    [InlineData(ContactOutcome.Refused)]
    [InlineData(ContactOutcome.WrongContact)]
    public void an_unsuccessful_attempt_is_counted_but_leaves_the_stage(ContactOutcome outcome)
    {
        var history = Identified().Then(c => RecordContactAttemptEndpoint.Decide(c, Attempt(outcome), Now));
        Assert.Equal(CaseStage.Identified, history.Case.Stage);
        Assert.Equal(1, history.View.ContactAttempts);
    }

    [Fact]
    public void reaching_the_worker_moves_the_case_to_contacted() =>
        Assert.Equal(CaseStage.Contacted, Reached(Identified()).Case.Stage);

    [Fact]
    public void a_contact_attempt_keeps_its_field_time_apart_from_when_it_was_recorded()
    {
        var inTheField = Now.AddDays(-2);
        var decision = RecordContactAttemptEndpoint.Decide(Identified().Case, Attempt(ContactOutcome.Reached, inTheField), Now);
        var attempt = Assert.IsType<ContactAttempted>(Assert.Single(decision.Events));
        Assert.Equal(inTheField, attempt.OccurredAt);
        Assert.Equal(Now, attempt.RecordedAt);
    }

    [Fact]
    public void reaching_an_enrolled_worker_again_does_not_move_the_stage_back()
    {
        var history = Reached(Enrolled(Reached(Identified())));
        Assert.Equal(CaseStage.Enrolled, history.Case.Stage);
        Assert.Equal(2, history.View.ContactAttempts);
    }

    [Fact]
    public void enrolment_records_membership_and_sorted_programmes()
    {
        var history = Enrolled(Reached(Identified()));
        Assert.Equal(CaseStage.Enrolled, history.Case.Stage);
        Assert.Equal([Programme.Jkk, Programme.Jkm], history.Case.Programmes);
        Assert.Equal("12345678901", history.View.MembershipNumber);
        Assert.Equal(new DateOnly(2026, 2, 1), history.View.EnrolmentEffectiveDate);
        Assert.Equal(new YearMonth(2026, 1), history.Case.SettledThrough);
    }

    [Fact]
    public void only_a_contacted_worker_can_be_enrolled()
    {
        AssertRefusedAt(CaseStage.Identified, EnrolWorkerEndpoint.Decide(Identified().Case, Enrolment, Now));
        AssertRefusedAt(CaseStage.Enrolled, EnrolWorkerEndpoint.Decide(Enrolled(Reached(Identified())).Case, Enrolment, Now));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void closing_remembers_the_stage_and_reopening_returns_to_it(int steps)
    {
        var history = Identified();
        if (steps >= 1) history = Reached(history);
        if (steps >= 2) history = Enrolled(history);
        var before = history.Case.Stage;

        history = history.Then(c => CloseCaseEndpoint.Decide(c, new(ClosureReason.Declined), Now));
        Assert.Equal(CaseStage.Closed, history.Case.Stage);
        Assert.Equal(ClosureReason.Declined, history.View.ClosedReason);

        history = history.Then(c => ReopenCaseEndpoint.Decide(c, new("worker changed their mind"), Now));
        Assert.Equal(before, history.Case.Stage);
        Assert.Null(history.View.ClosedReason);
    }

    [Fact]
    public void a_closed_case_cannot_be_closed_again_or_contacted()
    {
        var closed = Identified().Then(c => CloseCaseEndpoint.Decide(c, new(ClosureReason.Deceased), Now)).Case;
        AssertRefusedAt(CaseStage.Closed, CloseCaseEndpoint.Decide(closed, new(ClosureReason.Declined), Now));
        AssertRefusedAt(CaseStage.Closed, RecordContactAttemptEndpoint.Decide(closed, Attempt(ContactOutcome.Reached), Now));
    }

    [Fact]
    public void only_a_closed_case_can_be_reopened() =>
        AssertRefusedAt(CaseStage.Identified, ReopenCaseEndpoint.Decide(Identified().Case, new("again"), Now));

    [Fact]
    public void a_refusal_in_a_later_step_leaves_no_events_of_the_earlier_ones()
    {
        var identified = Identified().Case;
        var decision = Decision.Record(new ContactAttempted(ContactChannel.Visit, ContactOutcome.Reached, null, Now, Now))
            .Then(identified, c => EnrolWorkerEndpoint.Decide(c with { Stage = CaseStage.Closed }, Enrolment, Now));
        AssertRefusedAt(CaseStage.Closed, decision);
    }
}
