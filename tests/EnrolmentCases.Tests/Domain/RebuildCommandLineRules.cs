using EnrolmentCases.Infrastructure;

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
}
