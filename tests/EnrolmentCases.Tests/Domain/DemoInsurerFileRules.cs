using EnrolmentCases.Cases;
using EnrolmentCases.DemoData;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Reconciliations;

namespace EnrolmentCases.Tests.Domain;

public class DemoInsurerFileRules
{
    private static readonly IReadOnlyList<DemoCase> Plan = DemoPlan.Cases(0.05, 16_800, 0.3);

    private static List<StatusRow> Rows(string csv)
    {
        var bounds = new InputBounds(new DateOnly(2014, 1, 1), new DateOnly(2036, 12, 31), DateTimeOffset.MinValue, DateTimeOffset.MaxValue);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select((line, i) => line.Split(','))
            .Select((c, i) => new StatusLine(i + 2, c[0], c[1], c[2], c[3].Length == 0 ? null : c[3], c[4])).ToList();
        return lines.Select(l =>
        {
            var problems = new List<string>();
            return StatusFiles.Parse(l, ["17"], bounds, problems) ?? throw new InvalidOperationException($"row {l.Row}: {string.Join("; ", problems)}");
        }).ToList();
    }

    [Fact]
    public void the_sample_file_is_the_same_every_time_and_every_row_is_valid()
    {
        var csv = DemoInsurerFile.Csv(Plan);
        Assert.Equal(csv, DemoInsurerFile.Csv(DemoPlan.Cases(0.05, 16_800, 0.3)));
        Assert.StartsWith("kpj,nik,status,paidThrough,reportedOn\r\n", csv);
        Assert.All(Rows(csv), r => Assert.Equal(DemoInsurerFile.ReportedOn, r.ReportedOn));
    }

    [Fact]
    public void the_sample_file_drifts_by_a_few_percent_and_names_a_few_unknown_memberships()
    {
        var rows = Rows(DemoInsurerFile.Csv(Plan));
        var enrolled = Plan.Where(c => c.Steps.Any(s => s.Command is EnrolmentCases.Cases.Enrolling.EnrolWorker))
            .ToDictionary(c => c.Steps.Select(s => s.Command).OfType<EnrolmentCases.Cases.Enrolling.EnrolWorker>().Single().MembershipNumber!);
        var known = rows.Where(r => enrolled.ContainsKey(r.Kpj)).ToList();
        var unknown = rows.Count - known.Count;
        Assert.Equal(enrolled.Count, known.Count);
        Assert.InRange(unknown, 1, known.Count / 50);

        var inactiveThere = known.Count(r => r.Status == MembershipStatus.Inactive &&
                                             enrolled[r.Kpj].FinalStage is EnrolmentCases.Cases.CaseStage.Enrolled or EnrolmentCases.Cases.CaseStage.Subsidized);
        Assert.InRange((double)inactiveThere / known.Count, 0.01, 0.06);
    }
}
