using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Alba;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Runs the built application as a separate process, the way `./run.sh -- &lt;command&gt;` does:
/// `dotnet EnrolmentCases.Api.dll &lt;command&gt;` in the folder holding its appsettings.json.
/// </summary>
/// <summary>One id per run of the test process, to keep what its hosts write outside the database apart from other runs'.</summary>
public static class TestRun
{
    public static string Id { get; } = Guid.NewGuid().ToString("N")[..12];
}

public static class ApiProcess
{
    private const string Dll = "EnrolmentCases.Api.dll";

    /// <summary>
    /// The application as the test project's build copied it (beside the tests, with its
    /// runtimeconfig.json), or else as its own project built it in the same configuration.
    /// </summary>
    public static string Location { get; } = Locate();

    private static string Locate()
    {
        static bool Runnable(string dll) => File.Exists(dll) && File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json"));

        var beside = Path.Combine(Path.GetDirectoryName(typeof(Program).Assembly.Location)!, Dll);
        if (Runnable(beside)) return beside;

        // bin/<Configuration>/<framework>/ of the test project -> the same folders under src/EnrolmentCases.Api.
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = framework.Parent!;
        for (var dir = configuration.Parent; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "EnrolmentCases.Api", "bin", configuration.Name, framework.Name, Dll);
            if (Runnable(candidate)) return candidate;
        }

        throw new FileNotFoundException($"No runnable {Dll} (with its runtimeconfig.json) beside the tests or under src/EnrolmentCases.Api/bin");
    }

    /// <summary>The dotnet host running these tests, so the child uses the same runtime.</summary>
    public static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    /// <summary>The tests' database as the runtime role the API serves as, as ./test.sh gives it to them.</summary>
    public static string TestDatabase => Environment.GetEnvironmentVariable("ConnectionStrings__Marten")
                                         ?? throw new InvalidOperationException("ConnectionStrings__Marten is not set (./test.sh sets it)");

    /// <summary>
    /// The same database as the schema's owner (ConnectionStrings__MartenMigration), for what only the owner may do:
    /// apply schemas, wipe or tamper with events. Null when the tests run on one role that does everything.
    /// </summary>
    public static string? MigrationDatabase => Environment.GetEnvironmentVariable("ConnectionStrings__MartenMigration");

    /// <summary>Whichever role owns the schemas: the migration role, or the one role.</summary>
    public static string OwnerDatabase => MigrationDatabase ?? TestDatabase;

    /// <summary>
    /// `dotnet EnrolmentCases.Api.dll args...` in the Development environment, against the given database (as the
    /// runtime role, with the migration role's connection when there is one) and schema (the default one when null),
    /// with further settings as configuration keys ("Audit:SealIntervalSeconds").
    /// </summary>
    public static ProcessStartInfo StartInfo(string connectionString, string? migrationConnectionString, string? schema, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = Path.GetDirectoryName(Location)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false
        };
        start.ArgumentList.Add(Location);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ConnectionStrings__Marten"] = connectionString;
        if (migrationConnectionString is not null) start.Environment["ConnectionStrings__MartenMigration"] = migrationConnectionString;
        else start.Environment.Remove("ConnectionStrings__MartenMigration");
        if (schema is not null) start.Environment["EventStore__Schema"] = schema;
        else start.Environment.Remove("EventStore__Schema");
        // Anchors of this database and schema, in this test run only: processes on one database share them, as nodes do.
        start.Environment["Audit__Anchors__Directory"] = Path.Combine(Path.GetTempPath(), "enrolment-anchors", TestRun.Id,
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{connectionString}|{schema}")))[..16]);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            start.Environment[key.Replace(":", "__")] = value;
        return start;
    }

    public sealed record Outcome(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    /// <summary>Runs one command in the Development environment against the tests' database (and the given schema, if any).</summary>
    public static Task<Outcome> RunAsync(string? schema, params string[] args) =>
        RunWithAsync(new Dictionary<string, string>(), schema, args);

    /// <summary>As <see cref="RunAsync"/>, with further settings (configuration keys, or environment variables such as ASPNETCORE_ENVIRONMENT).</summary>
    public static async Task<Outcome> RunWithAsync(IReadOnlyDictionary<string, string> settings, string? schema, params string[] args)
    {
        // Nothing runs in the background of a command: no sweep, no sealer appending or sealing on their own.
        var all = new Dictionary<string, string>
        {
            ["Lapse:SweepIntervalMinutes"] = "0",
            ["Audit:SealIntervalSeconds"] = "0"
        };
        foreach (var (key, value) in settings) all[key] = value;
        var start = StartInfo(TestDatabase, MigrationDatabase, schema, args, all);

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{string.Join(' ', args)}` did not finish in 120 s");
        }

        return new Outcome(process.ExitCode, await stdout, await stderr);
    }
}

[Collection(ApiCollection.Name)]
public class CommandLine(ApiFixture api)
{
    private static JsonElement Claims(string jwt)
    {
        var payload = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
        return JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload))).RootElement;
    }

    [Fact]
    public async Task the_token_command_prints_only_a_token_the_api_accepts_and_refuses_what_it_cannot_sign()
    {
        var runs = await Task.WhenAll(
            ApiProcess.RunAsync(null, "token", "--role", "caseworker", "--regency", "17.04", "17.07", "--name", "Ani Lestari"),
            ApiProcess.RunAsync(null, "token", "--role", "wizard"),
            ApiProcess.RunAsync(null, "token", "--role", "caseworker"));
        var (issued, unknownRole, noRegency) = (runs[0], runs[1], runs[2]);

        Assert.True(issued.ExitCode == 0, issued.ToString());
        // stdout is the token and nothing else, so `TOKEN=$(./run.sh -- token ...)` works.
        var token = issued.Stdout.Trim();
        Assert.DoesNotContain('\n', token);
        Assert.Matches("^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$", token);

        var claims = Claims(token);
        Assert.Equal("caseworker", claims.GetProperty("role").GetString());
        Assert.Equal(["17.04", "17.07"], claims.GetProperty("regency").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("Ani Lestari", claims.GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(claims.GetProperty("sub").GetString()));
        Assert.Equal(8 * 3600, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());

        // The API takes it: a caseworker of Kaur and Lebong, and nothing more.
        await api.Host.Scenario(s =>
        {
            s.Get.Url("/api/cases?regency=17.07&pageSize=1");
            s.WithBearerToken(token);
            s.StatusCodeShouldBeOk();
        });
        await api.Host.Scenario(s =>
        {
            s.Post.Json(Scenarios.NewWorker(regency: "17.01")).ToUrl("/api/cases");
            s.WithBearerToken(token);
            s.StatusCodeShouldBe(403);
        });
        await api.Host.Scenario(s =>
        {
            s.Get.Url("/api/audit/verify");
            s.WithBearerToken(token);
            s.StatusCodeShouldBe(403);
        });
        var forged = token[..token.LastIndexOf('.')] + "." + new string('A', 43);
        await api.Host.Scenario(s =>
        {
            s.Get.Url("/api/cases?regency=17.07&pageSize=1");
            s.WithBearerToken(forged);
            s.StatusCodeShouldBe(401);
        });

        Assert.True(unknownRole.ExitCode != 0, unknownRole.ToString());
        Assert.Equal("", unknownRole.Stdout.Trim());
        Assert.Contains("wizard", unknownRole.Stderr);
        Assert.True(noRegency.ExitCode != 0, noRegency.ToString());
        Assert.Equal("", noRegency.Stdout.Trim());
        Assert.Contains("--regency", noRegency.Stderr);
    }

    private const string ProductionKey = "a-production-signing-key-nobody-publishes-2026";

    [Fact]
    public async Task the_token_command_mints_development_tokens_only()
    {
        var production = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Auth:SigningKey"] = ProductionKey,
            // Outside Development the API starts only with keys of its own: for personal data and for the events' MAC.
            ["Privacy:NikKey"] = Convert.ToBase64String(new byte[32]),
            ["Privacy:SearchKey"] = Convert.ToBase64String(new byte[32]),
            ["Privacy:MasterKeys:production"] = Convert.ToBase64String(new byte[32]),
            ["Privacy:CurrentMasterKeyId"] = "production",
            ["Audit:Mac:CurrentKeyId"] = "prod-1",
            ["Audit:Mac:Keys:prod-1"] = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray())
        };
        var runs = await Task.WhenAll(
            ApiProcess.RunWithAsync(production, null, "token", "--role", "auditor"),
            ApiProcess.RunWithAsync(new Dictionary<string, string> { ["Auth:SigningKey"] = ProductionKey }, null, "token", "--role", "auditor"),
            ApiProcess.RunAsync(null, "token", "--role", "auditor", "--hours", "9"),
            ApiProcess.RunAsync(null, "token", "--role", "auditor", "system"),
            ApiProcess.RunAsync(null, "token", "--role", "caseworker", "auditor", "--regency", "17.04"),
            ApiProcess.RunWithAsync(production.Where(p => !p.Key.StartsWith("Audit:Mac")).ToDictionary(), null, "token", "--role", "auditor"));
        var (inProduction, withARealKey, tooLong, systemRole, twoRoles) = (runs[0], runs[1], runs[2], runs[3], runs[4]);
        var withoutAMacKey = runs[5];

        foreach (var (refused, reason) in new[]
                 {
                     (inProduction, "development tokens only"), (withARealKey, "development key only"), (tooLong, "--hours"), (systemRole, "system"),
                     (withoutAMacKey, "Audit:Mac:CurrentKeyId must name the key")
                 })
        {
            Assert.True(refused.ExitCode != 0, refused.ToString());
            Assert.Equal("", refused.Stdout.Trim());
            Assert.Contains(reason, refused.Stderr);
        }

        Assert.True(twoRoles.ExitCode == 0, twoRoles.ToString());
        var claims = Claims(twoRoles.Stdout.Trim());
        Assert.Equal(["caseworker", "auditor"], claims.GetProperty("role").EnumerateArray().Select(r => r.GetString()));
        await api.Host.Scenario(s =>
        {
            s.Get.Url("/api/audit/verify");
            s.WithBearerToken(twoRoles.Stdout.Trim());
            s.StatusCodeShouldBeOk();
        });
    }

    [Fact]
    public async Task a_development_api_refuses_to_start_on_a_network_address_unless_allowed()
    {
        int port;
        using (var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }

        var exposed = await ApiProcess.RunWithAsync(new Dictionary<string, string> { ["ASPNETCORE_URLS"] = $"http://0.0.0.0:{port}" }, "dev_key_network");
        Assert.True(exposed.ExitCode != 0, exposed.ToString());
        Assert.Contains("AllowDevelopmentKeyOnNetwork", exposed.Stdout + exposed.Stderr);
    }
}

[CollectionDefinition(Name)]
public sealed class ProjectionCommandsCollection
{
    public const string Name = "projection-commands";
}

/// <summary>The database commands, on a schema of their own filled through the API by a host that is gone before they run.</summary>
[Collection(ProjectionCommandsCollection.Name)]
public class ProjectionCommands
{
    private const string Schema = "cli_check";

    private static async Task SeedThroughTheApi()
    {
        var clock = new TestClock(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.FromHours(7)));
        await using var host = await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("EventStore:Schema", Schema);
            web.UseSetting("Lapse:SweepIntervalMinutes", "0");
            web.UseSetting("Audit:SealIntervalSeconds", "0");
            web.UseSetting("RateLimiting:PermitLimit", "100000");
            web.ConfigureServices(services => services.AddSingleton<TimeProvider>(clock));
        });
        await host.ResetAllDataAsOwnerAsync();
        var tokens = new HostTokens(host);
        var kaur = tokens.Token("caseworker", "17.04");
        var planner = tokens.Token("planner");

        await host.EnrolledCase(kaur, effectiveDate: "2026-02-01");
        await host.Command(kaur, await host.IdentifyWorker(kaur), "closure", new { reason = "declined" });
        await host.Allocate("APBD_PROVINCE", null, 2026, 5_000_000);
        await host.Scenario(s =>
        {
            s.Put.Json(new { eligibleWorkers = 300, source = "DTSEN 2025" }).ToUrl("/api/regencies/17.04/targets/2026");
            s.WithBearerToken(planner);
            s.StatusCodeShouldBeOk();
        });
        await host.ProjectionsCaughtUp();
    }

    private static Task SqlAsync(string sql) => TestSql.ExecuteAsync(sql);

    [Fact]
    public async Task projections_rebuild_restores_the_read_models_and_verify_projections_then_finds_them_matching()
    {
        await SeedThroughTheApi();
        // A read model lost (the coverage months): only a rebuild from the events brings it back.
        await SqlAsync($"delete from {Schema}.mt_doc_coveragemonth");
        // The case views as the commands wrote them inline: the set-wise rebuild (ADR 0041) must write them again to the byte.
        var views = $"select id::text || '|' || data::text || '|' || mt_version || '|' || mt_dotnet_type || '|' || " +
                    "concat_ws('|', regency_code, opened_at, stage, settled_through_index, insurer_status, insurer_drifting) " +
                    $"from {Schema}.mt_doc_casedetails order by id";
        var inline = await TestSql.NamesAsync(views);
        Assert.Equal(2, inline.Count);

        var rebuild = await ApiProcess.RunAsync(Schema, "projections", "rebuild");
        Assert.True(rebuild.ExitCode == 0, rebuild.ToString());
        Assert.Equal(inline, await TestSql.NamesAsync(views));

        var verify = await ApiProcess.RunAsync(Schema, "verify-projections");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("Read models match", verify.Stdout);
        foreach (var model in new[] { "Budget", "CaseDetails", "CoverageChange", "CoverageDay", "CoverageMonth", "RegencyTarget" })
        {
            var line = verify.Stdout.Split('\n').SingleOrDefault(l => l.StartsWith(model + " "));
            Assert.True(line is not null, $"no line for {model}:\n{verify}");
            Assert.EndsWith("differences 0", line.TrimEnd());
            Assert.DoesNotContain(" live        0 ", line);
        }

        // A read model edited behind the events' back: exit code 1, and the row named.
        var id = (await TestSql.NamesAsync($"select id::text from {Schema}.mt_doc_casedetails order by id limit 1")).Single();
        await SqlAsync($"update {Schema}.mt_doc_casedetails set data = jsonb_set(data, '{{contactAttempts}}', '9') where id = '{id}'");
        var differing = await ApiProcess.RunAsync(Schema, "verify-projections");
        Assert.True(differing.ExitCode == 1, differing.ToString());
        Assert.Contains("Read models DIFFER", differing.Stdout);
        Assert.Contains(id, differing.Stdout.Split('\n').Single(l => l.StartsWith("CaseDetails ")));
        Assert.Empty(await TestSql.NamesAsync($"select nspname::text from pg_namespace where starts_with(nspname, '{Schema}_replay')"));
    }
}

[Collection(ProjectionCommandsCollection.Name)]
public class DemoCommandLine
{
    private const string Schema = "cli_demo";

    [Fact]
    public async Task the_demo_command_plays_its_plan_through_the_api_into_an_empty_database_and_only_into_one()
    {
        await TestSql.ExecuteAsync($"drop schema if exists {Schema} cascade");

        var load = await ApiProcess.RunAsync(Schema, "demo", "--scale", "0.002", "--workers", "2");
        Assert.True(load.ExitCode == 0, load.ToString());
        Assert.Matches(@"Loaded \d+ cases with \d+ commands", load.Stderr);

        var again = await ApiProcess.RunAsync(Schema, "demo", "--scale", "0.002");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("already holds cases", again.Stderr);
    }
}

[Collection(ProjectionCommandsCollection.Name)]
public class GenerateCommandLine
{
    private const string Schema = "cli_generate";

    /// <summary>
    /// `generate` into a database nothing has started on yet, with the two roles `./run.sh` gives it: the schema is created
    /// by its owner and granted to the runtime role, as a start does (ADR 0016), so the owner may analyze the filled tables at
    /// the end. It used to be created by the store's own apply as the runtime role, and the command then failed on that
    /// analyze ("permission denied for schema").
    /// </summary>
    [Fact]
    public async Task generate_into_a_new_schema_creates_it_as_its_owner_fills_and_analyzes_it()
    {
        Assert.True(ApiProcess.MigrationDatabase is not null, "run the tests through ./test.sh, which gives them an owner and a runtime role");
        await TestSql.ExecuteAsync($"drop schema if exists {Schema} cascade");

        var generate = await ApiProcess.RunAsync(Schema, "generate", "--cases", "40", "--no-rebuild");
        Assert.True(generate.ExitCode == 0, generate.ToString());
        Assert.Equal("enrolment_owner", (await TestSql.NamesAsync($"select nspowner::regrole::text from pg_namespace where nspname = '{Schema}'")).Single());
        // A stream a case, and the regencies' and budgets' own.
        Assert.InRange(await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_streams"), 41, 1_000);
        Assert.Equal(["mt_events", "mt_streams"], await TestSql.NamesAsync(
            $"select relname::text from pg_stat_user_tables where schemaname = '{Schema}' and relname in ('mt_events', 'mt_streams') and last_analyze is not null order by 1"));
    }
}
