using EnrolmentCases.Coverage;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Regencies;
using JasperFx.Events.Projections;
using Marten;

namespace EnrolmentCases.Tests.Domain;

/// <summary>The `projections` command gets `Rebuild:TimeoutMinutes` as its shard timeout unless its command line names one.</summary>
public class RebuildCommandLineRules
{
    private static readonly RebuildOptions Settings = new() { TimeoutMinutes = 90 };

    [Theory]
    [InlineData("projections rebuild", "projections rebuild --shard-timeout 90m")]
    [InlineData("PROJECTIONS rebuild -p CaseDetails", "PROJECTIONS rebuild -p CaseDetails --shard-timeout 90m")]
    [InlineData("projections", "projections --shard-timeout 90m")]
    public void the_projections_command_gets_the_setting_as_its_shard_timeout(string given, string expected) =>
        Assert.Equal(expected.Split(' '), ProjectionRebuilds.CommandLine(given.Split(' '), Settings));

    [Theory]
    [InlineData("projections rebuild --shard-timeout 10m")]
    [InlineData("projections rebuild --shard-timeout=2h")]
    public void a_shard_timeout_on_the_command_line_wins(string given) =>
        Assert.Equal(given.Split(' '), ProjectionRebuilds.CommandLine(given.Split(' '), Settings));

    [Theory]
    [InlineData("")]
    [InlineData("db-migrate")]
    [InlineData("generate --cases 1000")]
    [InlineData("verify-projections")]
    public void other_commands_and_the_api_itself_are_left_as_they_are(string given)
    {
        var args = given.Length == 0 ? [] : given.Split(' ');
        Assert.Equal(args, ProjectionRebuilds.CommandLine(args, Settings));
    }

    [Fact]
    public void the_setting_is_checked_like_every_other()
    {
        Assert.Empty(RebuildOptions.Rules(new RebuildOptions()));
        Assert.Single(RebuildOptions.Rules(new RebuildOptions { TimeoutMinutes = 0 }));
        Assert.Single(RebuildOptions.Rules(new RebuildOptions { TimeoutMinutes = 7 * 24 * 60 + 1 }));
    }

    /// <summary>
    /// The page size and the rebuild's flush threshold reach every projection, a composite's members included (ADR 0055): a
    /// member keeps its own flush threshold, and without this it would write every page of a rebuild as it is applied.
    /// </summary>
    [Fact]
    public void the_paging_settings_reach_a_composites_members_too()
    {
        var opts = new StoreOptions();
        var calendar = new ProvinceCalendar(ProvinceCalendar.FindZone("Asia/Jakarta"), TimeProvider.System);
        var month = new CoverageMonthProjection(calendar);
        var changes = new CoverageChangeProjection();
        opts.Projections.CompositeProjectionFor("Coverage", c =>
        {
            c.Add(month);
            c.Add(changes);
        });

        ProjectionRebuilds.Apply(opts, new RebuildOptions { BatchSize = 1_234, FlushThreshold = 99 });

        var composite = Assert.Single(opts.Projections.All.OfType<ProjectionBase>());
        foreach (var projection in new ProjectionBase[] { composite, month, changes })
        {
            Assert.Equal(1_234, projection.Options.BatchSize);
            Assert.Equal(99, projection.Options.RebuildFlushThreshold);
        }
    }
}
