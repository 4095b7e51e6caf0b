using EnrolmentCases.Cases;
using EnrolmentCases.Coverage;
using EnrolmentCases.Regencies;
using JasperFx.Events;

namespace EnrolmentCases.Tests.Domain;

/// <summary>The monthly and daily coverage roll-ups (ADR 34): what they read and what a row counts.</summary>
public class CoverageRollUpRules
{
    private static readonly ProvinceCalendar Calendar = new(ProvinceCalendar.FindZone("Asia/Jakarta"), TimeProvider.System);
    private static readonly DateTimeOffset Mar1 = new(2026, 3, 1, 0, 0, 0, TimeSpan.FromHours(7));

    /// <summary>A contacted case of regency 17.01 enrolled: its counts move at one recorded and one effective instant, and at any further effective ones.</summary>
    private static CaseStageChanged Enrolled(DateTimeOffset recordedAt, DateTimeOffset effectiveAt, params StageDelta[] furtherEffective) =>
        new("17.01", CaseStage.Contacted, CaseStage.Enrolled, recordedAt, effectiveAt,
            [new StageDelta(recordedAt, CaseStage.Contacted, -1), new StageDelta(recordedAt, CaseStage.Enrolled, 1)],
            [new StageDelta(effectiveAt, CaseStage.Contacted, -1), new StageDelta(effectiveAt, CaseStage.Enrolled, 1), ..furtherEffective]);

    [Fact]
    public void the_roll_ups_ask_the_daemon_for_stage_changes_only()
    {
        // Without a declared type the daemon fetches and deserialises every event of the store for each roll-up.
        foreach (var types in new[] { new CoverageMonthProjection(Calendar).IncludedEventTypes, new CoverageDayProjection(Calendar).IncludedEventTypes })
        {
            Assert.Contains(typeof(CaseStageChanged), types);
            Assert.All(types.Where(t => t.Assembly == typeof(CaseStageChanged).Assembly), t => Assert.Equal(typeof(CaseStageChanged), t));
        }
    }

    [Fact]
    public void a_day_row_counts_the_changes_of_its_own_day_only()
    {
        // Recorded on 10 March, effective on 1 March, with a further effective change on 6 March.
        var recordedAt = Mar1.AddDays(9).AddHours(9);
        var effectiveAt = Mar1.AddHours(8);
        var change = Enrolled(recordedAt, effectiveAt, new StageDelta(Mar1.AddDays(5), CaseStage.Enrolled, -1));
        var projection = new CoverageDayProjection(Calendar);
        var id = CoverageDay.KeyFor(Basis.Effective, "17.01", Calendar.DateOn(effectiveAt).DayNumber);

        var day = projection.Evolve(null, id, new Event<CaseStageChanged>(change));
        Assert.Equal((-1, 1), (day.Contacted, day.Enrolled));
        Assert.Equal((Basis.Effective, "17.01", Calendar.MonthIndexOf(effectiveAt)), (day.Basis, day.RegencyCode, day.MonthIndex));

        var again = projection.Evolve(day, id, new Event<CaseStageChanged>(change));
        Assert.Equal((-2, 2), (again.Contacted, again.Enrolled));
    }

    [Fact]
    public void a_month_row_counts_every_change_of_its_month()
    {
        var at = Mar1.AddDays(3);
        var change = new CaseStageChanged("17.01", null, CaseStage.Identified, at, at,
            [new StageDelta(at, CaseStage.Identified, 1)], [new StageDelta(at, CaseStage.Identified, 1), new StageDelta(Mar1.AddMonths(1), CaseStage.Identified, -1)]);
        var month = new CoverageMonthProjection(Calendar)
            .Evolve(null, CoverageMonth.KeyFor(Basis.Effective, "17.01", Calendar.MonthIndexOf(at)), new Event<CaseStageChanged>(change));
        Assert.Equal((1, Calendar.MonthIndexOf(at)), (month.Identified, month.MonthIndex));
    }

    [Fact]
    public void a_stage_change_is_one_row_when_each_basis_moves_at_one_instant()
    {
        var recordedAt = Mar1.AddDays(9).AddHours(9);
        var effectiveAt = Mar1.AddHours(8);
        var change = Enrolled(recordedAt, effectiveAt);

        var row = Assert.Single(CoverageChange.Of(42, change));
        Assert.Equal(("42:0", "17.01", recordedAt, effectiveAt), (row.Id, row.RegencyCode, row.RecordedAt, row.EffectiveAt));
        Assert.Equal([new CountChange(CaseStage.Contacted, -1), new CountChange(CaseStage.Enrolled, 1)], row.Recorded);
        Assert.Equal(row.Recorded, row.Effective);
    }

    [Fact]
    public void an_effective_move_at_several_instants_adds_a_row_for_each_further_instant_and_loses_no_count()
    {
        // A backdated enrolment that pulls a later effective period back: effective counts move at three instants.
        var recordedAt = Mar1.AddDays(9).AddHours(9);
        StageDelta[] recorded = [new(recordedAt, CaseStage.Contacted, -1), new(recordedAt, CaseStage.Enrolled, 1)];
        StageDelta[] effective =
        [
            new(Mar1.AddHours(8), CaseStage.Identified, -1), new(Mar1.AddHours(8), CaseStage.Enrolled, 1),
            new(Mar1.AddDays(3), CaseStage.Identified, 1), new(Mar1.AddDays(3), CaseStage.Contacted, -1),
            new(Mar1.AddDays(5), CaseStage.Enrolled, -1)
        ];
        var change = new CaseStageChanged("17.01", CaseStage.Contacted, CaseStage.Enrolled, recordedAt, Mar1.AddHours(8), [..recorded], [..effective]);

        var rows = CoverageChange.Of(7, change).ToList();
        Assert.Equal(["7:0", "7:1", "7:2"], rows.Select(r => r.Id));
        Assert.Equal([recordedAt, null, null], rows.Select(r => r.RecordedAt));
        Assert.Equal([Mar1.AddHours(8), Mar1.AddDays(3), Mar1.AddDays(5)], rows.Select(r => r.EffectiveAt));
        Assert.All(rows, r => Assert.True(r.Recorded.Length <= 6 && r.Effective.Length <= 6));
        // Every delta is on exactly one row, at its own instant.
        Assert.Equal(recorded.OrderBy(d => d.Stage),
            rows.SelectMany(r => r.Recorded.Select(c => new StageDelta(r.RecordedAt!.Value, c.Stage, c.Change))).OrderBy(d => d.Stage));
        Assert.Equal(effective.OrderBy(d => d.At).ThenBy(d => d.Stage),
            rows.SelectMany(r => r.Effective.Select(c => new StageDelta(r.EffectiveAt!.Value, c.Stage, c.Change))).OrderBy(d => d.At).ThenBy(d => d.Stage));
    }
}
