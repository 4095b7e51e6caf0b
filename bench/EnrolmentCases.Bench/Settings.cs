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
    string? Only = null,
    int? Rows = null,
    int ProbeRequests = 3000,
    int ProbeConcurrency = Settings.Concurrency,
    int? Cases = null,
    bool Lag = false,
    double LagRate = 100,
    double? ProbeRate = null)
{
    /// <summary>Connections for the raw insert test and HTTP connections for the API test: equal concurrency.</summary>
    public const int Concurrency = 16;

    public TimeSpan RawInsertDuration => TimeSpan.FromSeconds(Full ? 30 : 10);
    public int CopyRows => Full ? 1_000_000 : 200_000;
    public double FirstRate => 100;
    public TimeSpan StepDuration => TimeSpan.FromSeconds(Full ? 30 : 12);
    public TimeSpan MeasureDuration => TimeSpan.FromSeconds(Full ? 60 : 20);
    public TimeSpan BurstDuration => TimeSpan.FromSeconds(Full ? 30 : 10);

    /// <summary>
    /// Cases the generator writes for the rebuild and the reads: 3,200 (about 56,000 events, the demo's size) by default,
    /// 60,000 (about 1,050,000 events, the rebuild target's size) in a full run; `--cases N` for the reads at a million or more.
    /// </summary>
    public int GeneratedCases => Cases ?? (Full ? 60_000 : 3_200);

    /// <summary>Rows of the measured import: 100,000 (the target), the largest file the API takes in a full run.</summary>
    public int ImportRows => Rows ?? (Full ? 200_000 : 100_000);

    public double ReadRate => 50;
    public TimeSpan ReadDuration => TimeSpan.FromSeconds(Full ? 30 : 8);

    public string Database(string name) => new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;

    public static Settings Parse(string[] args)
    {
        string Arg(string name) =>
            args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? throw new ArgumentException($"{name} is required");
        string? Optional(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        // --rate: the lag run's rate with --lag, the command probe's arrivals with --only commands.
        double? rate = Optional("--rate") is not { } text ? null
            : double.Parse(text, System.Globalization.CultureInfo.InvariantCulture) is var r && r > 0 ? r
            : throw new ArgumentException($"--rate must be a number of requests a second above 0 (is {text})");
        return new Settings(Arg("--connection"), Arg("--api"), Arg("--floor"), int.Parse(Arg("--pg-pid")), Arg("--results"), Arg("--scratch"),
            args.Contains("--full"), Optional("--only"),
            Optional("--import-rows") is { } rows ? int.Parse(rows) : null,
            int.TryParse(Optional("--requests"), out var requests) ? requests : 3000,
            int.TryParse(Optional("--concurrency"), out var connections) ? connections : Concurrency,
            int.TryParse(Optional("--cases"), out var cases) ? cases : null,
            args.Contains("--lag"),
            rate ?? 100,
            args.Contains("--lag") ? null : rate);
    }
}
