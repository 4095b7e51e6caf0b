using System.Diagnostics;
using System.Text.Json;
using Alba;
using EnrolmentCases.Audit;
using EnrolmentCases.Privacy;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EnrolmentCases.Tests.Api;

/// <summary>A worker whose personal values are unique to the test, and the ways the tests meet them.</summary>
internal sealed record Erasable(string Nik, string FullName, string Phone, string District, string Village)
{
    public static Erasable New()
    {
        string Word() => string.Concat(Enumerable.Range(0, 10).Select(_ => (char)('a' + Random.Shared.Next(26))));
        return new Erasable(Niks.Next(), $"Rahmat {Word()}", $"0813{Random.Shared.Next(10_000_000, 99_999_999)}", $"Kecamatan {Word()}",
            $"Desa {Word()}");
    }

    public object Worker => new
    {
        nik = Nik, fullName = FullName, regencyCode = "17.04", district = District, village = Village, occupation = "fisher", phone = Phone,
        source = "P3KE"
    };

    public string Row => $"{Nik},{FullName},17.04,{District},{Village},fisher,{Phone},DTSEN";

    public string[] Values => [Nik, FullName, Phone, District, Village];

    public static object Order(string nik, string reference) => new { nik, legalBasis = "UU 27/2022 art. 8", reference };
}

[Collection(PrivacyCollection.Name)]
public class ErasureRegisterLines(PrivacyFixture privacy)
{
    [Fact]
    public async Task an_erasure_order_is_registered_outside_the_database_by_subject_id_never_by_nik()
    {
        var person = Erasable.New();
        await privacy.Host.IdentifyWorker(privacy.Token("caseworker", "17.04"), person.Worker);
        var reference = $"Court order {Guid.NewGuid():N}";
        var accepted = await (await privacy.Host.Scenario(s =>
        {
            s.Post.Json(Erasable.Order(person.Nik, reference)).ToUrl("/api/audit/erasures");
            s.WithBearerToken(privacy.Token("admin"));
            s.StatusCodeShouldBe(201);
        })).ReadAsJsonAsync<ErasureAccepted>();

        // The register sits beside the anchors unless configured elsewhere; the line is there once the order has committed.
        var register = privacy.Host.Services.GetRequiredService<EnrolmentCases.Audit.ErasureRegister>();
        Assert.Equal(Path.GetFullPath(privacy.AnchorDirectory), register.Directory);
        var text = string.Concat(Directory.GetFiles(register.Directory, "erasures-*.ndjson").Select(File.ReadAllText));
        var line = text.Split('\n').Single(l => l.Contains(accepted.Id.ToString()));
        foreach (var value in person.Values) Assert.DoesNotContain(value, text);
        var order = JsonSerializer.Deserialize<RegisteredErasure>(line, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal((accepted.Id, privacy.Host.Services.GetRequiredService<PersonalData>().SubjectOf(person.Nik), reference, "UU 27/2022 art. 8"),
            (order.OrderId, order.Subject, order.Reference, order.LegalBasis));
        Assert.Equal(accepted.OrderedAt, order.OrderedAt);
    }
}

/// <summary>
/// A backup taken before an erasure, restored (pg_dump and pg_restore of the host's own schema, so the
/// events appended after the backup are lost too), must not bring the person back: the API erases
/// them again as it starts, from the register kept outside the database.
/// </summary>
public class ErasureAfterARestore
{
    private const string Schema = "erasure_restore";

    private sealed class Node(string register, bool reset) : HostFixture(Schema)
    {
        protected override bool ResetOnStart => reset;

        protected override void Configure(IDictionary<string, string> settings)
        {
            // Both nodes see one register, as the nodes of one database do; each has anchors of its own (a restore rewinds the chain).
            settings["Audit:ErasureRegister:Directory"] = register;
            settings["ReplayVerification:PollSeconds"] = "1";
            // The backup holds the node records of the nodes that ran when it was taken, so the second node shares the
            // projections with a node that no longer exists until it declares that node stale. Quick, so the test need not wait 15 s and more.
            settings["Cluster:HeartbeatSeconds"] = "0.5";
            settings["Cluster:StaleNodeSeconds"] = "2";
        }
    }

    [Fact]
    public async Task a_restored_backup_from_before_an_erasure_is_erased_again_at_start_and_a_second_check_changes_nothing()
    {
        var register = Path.Combine(Path.GetTempPath(), "enrolment-erasures", TestRun.Id, Guid.NewGuid().ToString("N")[..12]);
        var backup = Path.Combine(Path.GetTempPath(), $"enrolment-backup-{Guid.NewGuid():N}.dump");
        var (erased, kept) = (Erasable.New(), Erasable.New());
        Node? first = new(register, reset: true), second = null;
        try
        {
            await first.InitializeAsync();
            var (kaur, auditor) = (first.Token("caseworker", "17.04"), first.Token("auditor"));
            var caseId = await first.Host.IdentifyWorker(kaur, erased.Worker);
            await first.Host.Reach(kaur, caseId);
            var import = await first.Host.FinishedImport(auditor, await first.Host.StartImport(kaur,
                $"nik,fullName,regencyCode,district,village,occupation,phone,source\n{erased.Row}\n{kept.Row}\n"));
            Assert.Equal((1, 1), (import.Counts.Created, import.Counts.Duplicate));
            await first.Host.ProjectionsCaughtUp();
            var subject = first.Host.Services.GetRequiredService<PersonalData>().SubjectOf(erased.Nik);

            await PgDump(backup);
            var order = await (await first.Host.Scenario(s =>
            {
                s.Post.Json(Erasable.Order(erased.Nik, "Court order 7/2027")).ToUrl("/api/audit/erasures");
                s.WithBearerToken(first.Token("admin"));
                s.StatusCodeShouldBe(201);
            })).ReadAsJsonAsync<ErasureAccepted>();
            await first.Host.ProjectionsCaughtUp();
            await first.DisposeAsync();
            first = null;

            await PgRestore(backup);
            // The restore brought the person back: their key, their claim, a case that names them, the clear import row, no order.
            Assert.Equal(1, await Count("mt_doc_personkey", $"id = '{subject}'"));
            Assert.Equal(1, await Count("mt_doc_opencaseclaim", $"id = '{subject}'"));
            Assert.Equal(1, await Count("mt_doc_casedetails", $"data->>'subject' = '{subject}'"));
            Assert.Equal(1, await Count("mt_doc_importchunk", $"data::text like '%{erased.Nik}%'"));
            Assert.Equal(0, await Count("mt_events", $"stream_id = '{order.Id}'"));

            second = new Node(register, reset: false);
            await second.InitializeAsync();
            var host = second.Host;
            (kaur, auditor) = (second.Token("caseworker", "17.04"), second.Token("auditor"));
            await host.ProjectionsCaughtUp();

            var reads = new Dictionary<string, string>
            {
                ["case"] = await Raw(host, auditor, $"/api/cases/{caseId}"),
                ["case at version 1"] = await Raw(host, auditor, $"/api/cases/{caseId}?version=1"),
                ["worklist"] = await Raw(host, kaur, "/api/cases?pageSize=200"),
                ["history"] = await Raw(host, auditor, $"/api/cases/{caseId}/history"),
                ["import"] = await Raw(host, auditor, $"/api/imports/{import.Id}"),
                ["import outcomes"] = await Raw(host, auditor, $"/api/imports/{import.Id}/outcomes.csv")
            };
            var access = JsonDocument.Parse(await Raw(host, auditor, "/api/audit/subject-access", JsonSerializer.Serialize(new { nik = erased.Nik })));
            reads["subject access"] = string.Join("", access.RootElement.EnumerateObject().Where(p => p.Name != "nik").Select(p => p.Value.GetRawText()));
            foreach (var (where, text) in reads)
            foreach (var value in erased.Values)
                Assert.False(text.Contains(value), $"{where} shows '{value}' after the restore");
            Assert.Empty(access.RootElement.GetProperty("cases").EnumerateArray());
            Assert.True((await host.GetCase(kaur, caseId)).Erased);
            Assert.Contains(kept.FullName, reads["import"] + await Raw(host, kaur, "/api/cases?pageSize=200"));

            // Done again without rewriting an event: the case got its erasure event anew, the order its stream, and both say which order.
            var last = (await host.History(auditor, caseId)).Events[^1];
            Assert.Equal(("personal_data_erased", order.Id), (last.Type, ((JsonElement)last.Data).GetProperty("orderId").GetGuid()));
            Assert.Equal(["erasure_ordered", "erasure_reapplied"],
                await TestSql.NamesAsync($"select type from {Schema}.mt_events where stream_id = '{order.Id}' order by version"));
            Assert.Equal(0, await Count("mt_doc_personkey", $"id = '{subject}'") + await Count("mt_doc_opencaseclaim", $"id = '{subject}'"));
            Assert.Equal(0, await Count("mt_doc_importchunk", $"data::text like '%{erased.Nik}%'"));
            var verification = await host.VerifyChain(auditor);
            Assert.True(verification.Valid, verification.ToString());

            // A second check, in the API and from the command line, finds nothing to do and appends nothing.
            var events = await Count("mt_events", "true");
            var check = await host.Services.GetRequiredService<ErasureReapplication>().RunAsync(CancellationToken.None);
            Assert.Equal((1, 0, 0), (check.Registered, check.NewlyRegistered, check.OrdersReapplied));
            var command = await ApiProcess.RunWithAsync(new Dictionary<string, string> { ["Audit:ErasureRegister:Directory"] = register }, Schema,
                ReapplyErasuresCommand.Name);
            Assert.True(command.ExitCode == 0, command.ToString());
            Assert.Contains("; 0 re-applied", command.Stdout);
            Assert.Equal(events, await Count("mt_events", "true"));
        }
        finally
        {
            if (first is not null) await first.DisposeAsync();
            if (second is not null) await second.DisposeAsync();
            File.Delete(backup);
            if (Directory.Exists(register)) Directory.Delete(register, recursive: true);
        }
    }

    private static Task<long> Count(string table, string where) => TestSql.ScalarAsync($"select count(*) from {Schema}.{table} where {where}");

    private static async Task<string> Raw(IAlbaHost host, string token, string url, string? body = null)
    {
        var result = await host.Scenario(s =>
        {
            if (body is null) s.Get.Url(url);
            else s.Post.Text(body).ToUrl(url);
            if (body is not null) s.WithRequestHeader("Content-Type", "application/json");
            s.WithBearerToken(token);
            s.StatusCodeShouldBeOk();
        });
        return await result.ReadAsTextAsync();
    }

    private static Task PgDump(string file) => Pg("pg_dump", "--format=custom", $"--schema={Schema}", $"--file={file}");

    /// <summary>As a restore onto a fresh server would: the schema as it stood in the backup, nothing of what came after.</summary>
    private static async Task PgRestore(string file)
    {
        await TestSql.ExecuteAsync($"drop schema {Schema} cascade");
        await Pg("pg_restore", "--exit-on-error", "--single-transaction", file);
    }

    private static async Task Pg(string tool, params string[] args)
    {
        // As the schema's owner, who restores it as a DBA would; the API then serves it as the runtime role.
        var connection = new NpgsqlConnectionStringBuilder(ApiProcess.OwnerDatabase);
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", tool)).Where(File.Exists)
                .OrderByDescending(p => Version.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(p))), out var v) ? v : new Version())
                .FirstOrDefault()
            : null;
        var start = new ProcessStartInfo(bin ?? tool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.ArgumentList.Add($"--dbname={connection.Database}");
        start.Environment["PGHOST"] = connection.Host;
        start.Environment["PGPORT"] = connection.Port.ToString();
        start.Environment["PGUSER"] = connection.Username;
        if (connection.Password is { } password) start.Environment["PGPASSWORD"] = password;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{tool} exit {process.ExitCode}: {await stderr}");
    }
}
