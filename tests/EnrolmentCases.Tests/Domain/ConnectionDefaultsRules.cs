using EnrolmentCases.Infrastructure;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace EnrolmentCases.Tests.Domain;

/// <summary>
/// The runtime role's connection (ADR 33): pooled connections keep their session, prepare repeated statements and
/// are replaced after a while, unless the configured connection string says otherwise; error detail stays off whatever it says.
/// </summary>
public class ConnectionDefaultsRules
{
    private static NpgsqlConnectionStringBuilder Served(string configured) =>
        new(EventStore.ConnectionString(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Marten"] = configured }).Build()));

    [Fact]
    public void a_plain_connection_string_gets_the_session_keeping_defaults()
    {
        var served = Served("Host=db;Database=enrolment;Username=enrolment_api");

        Assert.True(served.NoResetOnClose);
        Assert.Equal(EventStore.DefaultMaxAutoPrepare, served.MaxAutoPrepare);
        Assert.Equal(EventStore.DefaultConnectionLifetimeSeconds, served.ConnectionLifetime);
        Assert.False(served.IncludeErrorDetail);
        Assert.Equal(("db", "enrolment", "enrolment_api"), (served.Host, served.Database, served.Username));
    }

    [Theory]
    [InlineData("Host=db;No Reset On Close=false;Max Auto Prepare=0;Connection Lifetime=0")]
    [InlineData("Host=db;NoResetOnClose=false;MaxAutoPrepare=0;ConnectionLifetime=0")]
    [InlineData("host=db;no reset on close=False;max auto prepare=0;connection lifetime=0")]
    public void a_setting_the_connection_string_names_wins_over_the_default(string configured)
    {
        var served = Served(configured);

        Assert.False(served.NoResetOnClose);
        Assert.Equal(0, served.MaxAutoPrepare);
        Assert.Equal(0, served.ConnectionLifetime);
    }

    [Fact]
    public void error_detail_stays_off_whatever_the_connection_string_says() =>
        Assert.False(Served("Host=db;Include Error Detail=true").IncludeErrorDetail);
}
