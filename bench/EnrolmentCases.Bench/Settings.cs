using Npgsql;

namespace EnrolmentCases.Bench;

/// <summary>What bench.sh passes in, and the sizes of the default and the full run.</summary>
public sealed record Settings(
    string ConnectionString,
    string ApiDirectory,
    string FloorDirectory,
    int PostgresPid,
    string ResultsFile,
    string ScratchDirectory,
    bool Full,
    bool Lag = false,
    double LagRate = 100)
{
    /// <summary>Connections for the raw insert test and HTTP connections for the API test: equal concurrency.</summary>
    public const int Concurrency = 16;

    public TimeSpan RawInsertDuration => TimeSpan.FromSeconds(Full ? 30 : 10);
    public int CopyRows => Full ? 1_000_000 : 200_000;
    public double FirstRate => 100;
    public TimeSpan StepDuration => TimeSpan.FromSeconds(Full ? 30 : 12);
    public TimeSpan MeasureDuration => TimeSpan.FromSeconds(Full ? 60 : 20);
    public TimeSpan BurstDuration => TimeSpan.FromSeconds(Full ? 30 : 10);

    /// <summary>Demo scale: 0.05 is about 3,200 cases and 57,000 events; 0.875 about 1,000,000 events.</summary>
    public double DemoScale => Full ? 0.875 : 0.05;

    public double ReadRate => 50;
    public TimeSpan ReadDuration => TimeSpan.FromSeconds(Full ? 30 : 8);

    public string Database(string name) => new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;

    public static Settings Parse(string[] args)
    {
        string Arg(string name) =>
            args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? throw new ArgumentException($"{name} is required");
        return new Settings(Arg("--connection"), Arg("--api"), Arg("--floor"), int.Parse(Arg("--pg-pid")), Arg("--results"), Arg("--scratch"),
            args.Contains("--full"), args.Contains("--lag"),
            args.SkipWhile(a => a != "--rate").Skip(1).Select(a => double.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault(100));
    }
}
