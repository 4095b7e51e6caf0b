using EnrolmentCases.Cases;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;

namespace EnrolmentCases.Tests.Api;

[Collection(ApiCollection.Name)]
public class CaseLifecycle(ApiFixture api)
{
    private readonly string _kaur = api.Token("caseworker", "17.04");

    [Fact]
    public async Task a_worker_moves_from_identified_through_contacted_to_enrolled()
    {
        var id = await api.Host.IdentifyWorker(_kaur);

        await api.Host.Command(_kaur, id, "contact-attempts", new { channel = "phone", outcome = "unreachable" });
        var afterMiss = await api.Host.GetCase(_kaur, id);
        Assert.Equal(CaseStage.Identified, afterMiss.Stage);
        Assert.Equal(1, afterMiss.ContactAttempts);

        var reached = await api.Host.Command(_kaur, id, "contact-attempts",
            new { channel = "whatsapp", outcome = "reached", note = "agreed after village meeting", occurredAt = "2026-03-01T10:00:00+07:00" });
        // Identified (2 events), an unreachable attempt (1), a reach that changes the stage (2).
        Assert.Equal("\"5\"", reached.Context.Response.Headers.ETag.ToString());
        var contacted = await api.Host.GetCase(_kaur, id);
        Assert.Equal((CaseStage.Contacted, 2, 5L), (contacted.Stage, contacted.ContactAttempts, contacted.Version));

        var enrolled = await api.Host.Command(_kaur, id, "enrolment", new
        {
            membershipNumber = "24011234567",
            programmes = new[] { "JKM", "JKK", "JHT" },
            declaredMonthlyIncome = 1_500_000,
            effectiveDate = "2026-02-01",
            expectedVersion = 5
        });
        Assert.Equal(new CommandAccepted(id, 7), await enrolled.Accepted());

        var view = await api.Host.GetCase(_kaur, id);
        Assert.Equal(CaseStage.Enrolled, view.Stage);
        Assert.Equal("24011234567", view.MembershipNumber);
        Assert.Equal([Programme.Jkk, Programme.Jkm, Programme.Jht], view.Programmes);
        Assert.Equal(1_500_000, view.DeclaredMonthlyIncome);
        Assert.Equal(new DateOnly(2026, 2, 1), view.EnrolmentEffectiveDate);
    }

    [Fact]
    public async Task a_closed_case_reopens_at_the_stage_it_was_closed_from()
    {
        var id = await api.Host.EnrolledCase(_kaur);

        await api.Host.Command(_kaur, id, "closure", new { reason = "moved_away", note = "moved to Bengkulu city" });
        var closed = await api.Host.GetCase(_kaur, id);
        Assert.Equal((CaseStage.Closed, ClosureReason.MovedAway), (closed.Stage, closed.ClosedReason));

        await api.Host.Command(_kaur, id, "reopening", new { note = "came back for the harvest" });
        var reopened = await api.Host.GetCase(_kaur, id);
        Assert.Equal(CaseStage.Enrolled, reopened.Stage);
        Assert.Null(reopened.ClosedReason);
    }

    [Fact]
    public async Task enrolling_a_worker_who_was_never_reached_is_an_invalid_transition()
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Json(new { membershipNumber = "12345678901", programmes = new[] { "JKK", "JKM" }, declaredMonthlyIncome = 1_000_000, effectiveDate = "2026-03-01" })
                .ToUrl($"/api/cases/{id}/enrolment");
            s.WithBearerToken(_kaur);
            s.StatusCodeShouldBe(409);
        });
        var problem = await result.Problem();
        Assert.Equal("invalid-transition", problem.Slug());
        Assert.Equal("identified", problem.GetProperty("stage").GetString());
        Assert.Equal(2, (await api.Host.GetCase(_kaur, id)).Version);
    }

    [Theory]
    [InlineData("closure", """{"reason":"declined"}""")]
    [InlineData("contact-attempts", """{"channel":"visit","outcome":"reached"}""")]
    public async Task a_closed_case_takes_no_further_commands_but_reopening(string action, string body)
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        await api.Host.Command(_kaur, id, "closure", new { reason = "unreachable" });
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Text(body).ToUrl($"/api/cases/{id}/{action}");
            s.WithRequestHeader("Content-Type", "application/json");
            s.WithBearerToken(_kaur);
            s.StatusCodeShouldBe(409);
        });
        var problem = await result.Problem();
        Assert.Equal("invalid-transition", problem.Slug());
        Assert.Equal("closed", problem.GetProperty("stage").GetString());
    }

    [Fact]
    public async Task reopening_a_case_that_is_not_closed_is_an_invalid_transition()
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        var result = await api.Host.Command(_kaur, id, "reopening", new { note = "by mistake" }, 409);
        Assert.Equal("invalid-transition", (await result.Problem()).Slug());
    }

    [Fact]
    public async Task closing_a_case_frees_the_nik_and_reopening_it_then_conflicts_with_the_new_case()
    {
        var nik = Niks.Next();
        var first = await api.Host.IdentifyWorker(_kaur, Scenarios.NewWorker(nik));
        await api.Host.Command(_kaur, first, "closure", new { reason = "duplicate" });

        var second = await api.Host.IdentifyWorker(_kaur, Scenarios.NewWorker(nik));
        Assert.NotEqual(first, second);

        var result = await api.Host.Command(_kaur, first, "reopening", new { note = "closed in error" }, 409);
        var problem = await result.Problem();
        Assert.Equal("duplicate-case", problem.Slug());
        Assert.Equal(second, problem.GetProperty("existingCaseId").GetGuid());
        Assert.Equal(CaseStage.Closed, (await api.Host.GetCase(_kaur, first)).Stage);
    }

    public static TheoryData<string, string, string> InvalidCommands => new()
    {
        { "contact-attempts", """{"channel":"telepathy","outcome":"reached"}""", "channel" },
        { "contact-attempts", """{"channel":"visit"}""", "outcome" },
        { "contact-attempts", """{"channel":"visit","outcome":"reached","occurredAt":"2099-01-01T00:00:00Z"}""", "occurredAt" },
        { "enrolment", """{"membershipNumber":"123","programmes":["JKK","JKM"],"declaredMonthlyIncome":1000000,"effectiveDate":"2026-03-01"}""", "membershipNumber" },
        { "enrolment", """{"membershipNumber":"12345678901","programmes":["JKK"],"declaredMonthlyIncome":1000000,"effectiveDate":"2026-03-01"}""", "programmes" },
        { "enrolment", """{"membershipNumber":"12345678901","programmes":["JKK","JKM"],"declaredMonthlyIncome":-5,"effectiveDate":"2026-03-01"}""", "declaredMonthlyIncome" },
        { "enrolment", """{"membershipNumber":"12345678901","programmes":["JKK","JKM"],"declaredMonthlyIncome":1000000}""", "effectiveDate" },
        { "enrolment", """{"membershipNumber":"12345678901","programmes":["JKK","JKM"],"declaredMonthlyIncome":1000000,"effectiveDate":"1 March"}""", "effectiveDate" },
        { "closure", """{"reason":"bored"}""", "reason" },
        { "closure", """{}""", "reason" },
        { "reopening", """{}""", "note" },
        { "contact-attempts", """{"channel":"visit","outcome":"reached","expectedVersion":0}""", "expectedVersion" },
    };

    [Theory, MemberData(nameof(InvalidCommands))]
    public async Task an_invalid_command_is_refused_with_the_field_named_and_changes_nothing(string action, string body, string field)
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Text(body).ToUrl($"/api/cases/{id}/{action}");
            s.WithRequestHeader("Content-Type", "application/json");
            s.WithBearerToken(_kaur);
            s.StatusCodeShouldBe(400);
        });
        var problem = await result.Problem();
        Assert.Equal("validation", problem.Slug());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name {field}: {problem}");
        Assert.Equal(2, (await api.Host.GetCase(_kaur, id)).Version);
    }

    [Fact]
    public async Task commands_on_an_unknown_case_are_not_found()
    {
        var result = await api.Host.Command(_kaur, Guid.NewGuid(), "contact-attempts", new { channel = "visit", outcome = "reached" }, 404);
        Assert.Equal("not-found", (await result.Problem()).Slug());
    }

    [Fact]
    public async Task a_malformed_case_id_is_not_found()
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Get.Url("/api/cases/not-a-guid");
            s.WithBearerToken(_kaur);
            s.StatusCodeShouldBe(404);
        });
        Assert.Equal("not-found", (await result.Problem()).Slug());
    }
}

[Collection(ApiCollection.Name)]
public class CaseHistoryViews(ApiFixture api)
{
    private readonly string _kaur = api.Token("caseworker", "17.04");

    [Fact]
    public async Task a_case_can_be_read_as_it_stood_at_a_version_or_an_instant()
    {
        var id = await api.Host.EnrolledCase(_kaur);

        var atFour = await api.Host.GetCase(_kaur, id, "?version=4");
        Assert.Equal((4L, CaseStage.Contacted), (atFour.Version, atFour.Stage));
        Assert.Null(atFour.MembershipNumber);

        await using var session = api.Store.QuerySession();
        var recorded = (await session.Events.FetchStreamAsync(id)).Single(e => e.Version == 1).Timestamp;
        var atFirst = await api.Host.GetCase(_kaur, id, $"?asOf={Uri.EscapeDataString(recorded.ToString("O"))}");
        Assert.Equal((2L, CaseStage.Identified), (atFirst.Version, atFirst.Stage));

        Assert.Equal(CaseStage.Enrolled, (await api.Host.GetCase(_kaur, id)).Stage);
    }

    [Theory]
    [InlineData("?version=19", 404)]
    [InlineData("?version=0", 400)]
    [InlineData("?asOf=2015-01-01T00:00:00Z", 404)]
    [InlineData("?asOf=2000-01-01T00:00:00Z", 400)]
    [InlineData("?asOf=9999-12-31T23:59:59Z", 400)]
    [InlineData("?asOf=yesterday", 400)]
    [InlineData("?version=1&asOf=2030-01-01T00:00:00Z", 400)]
    public async Task impossible_points_in_history_are_refused(string query, int status)
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/cases/{id}{query}");
            s.WithBearerToken(_kaur);
            s.StatusCodeShouldBe(status);
        });
    }
}

[Collection(ApiCollection.Name)]
public class InstantsWithOffsets(ApiFixture api)
{
    [Fact]
    public async Task an_as_of_instant_with_a_local_offset_is_understood()
    {
        var kaur = api.Token("caseworker", "17.04");
        var id = await api.Host.IdentifyWorker(kaur);
        var local = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7)).AddMinutes(1).ToString("O");
        var view = await api.Host.GetCase(kaur, id, $"?asOf={Uri.EscapeDataString(local)}");
        Assert.Equal(CaseStage.Identified, view.Stage);
    }
}
