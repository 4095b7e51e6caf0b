using Alba;
using Marten;
using EnrolmentCases.Imports;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Failures are where personal data leaks: a failed statement's parameters, the server's error detail
/// quoting the row, an exception's message kept in a dead letter. Here the database refuses every event
/// (a constraint added behind the application's back), an import's chunk fails into the dead letters
/// and a command fails on the same statement; then neither the dead letters nor any log line written,
/// at the most verbose level, holds a NIK, a name or a phone number of the workers involved.
/// </summary>
public class NoPersonalDataInFailures
{
    private const string Schema = "failures_check";

    [Fact]
    public async Task a_dead_lettered_import_chunk_and_a_failed_statement_leave_no_nik_name_or_phone_in_dead_letters_or_logs()
    {
        var logs = new LogCapture();
        await using var host = await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("EventStore:Schema", Schema);
            web.UseSetting("Lapse:SweepIntervalMinutes", "0");
            web.ConfigureServices(services =>
            {
                services.AddSingleton<ILoggerProvider>(logs);
                services.Configure<LoggerFilterOptions>(filters => filters.AddFilter<LogCapture>(null, LogLevel.Trace));
            });
        });
        await host.ResetAllDataAsOwnerAsync();
        await TestSql.ExecuteAsync($"delete from {Schema}.wolverine_dead_letters");
        var tokens = new HostTokens(host);
        var caseworker = tokens.Token("caseworker", "17.04");

        var workers = new[]
        {
            (Nik: Niks.Next(), Name: "Sulastri Wibisono", Phone: "081298765432"),
            (Nik: Niks.Next(), Name: "Bambang Kusumawardhani", Phone: "085377788899")
        };
        var csv = Routes.CsvHeader + string.Concat(workers.Select(w => $"{w.Nik},{w.Name},17.04,Kaur Selatan,Padang Petron,fisher,{w.Phone},P3KE\r\n"));
        var single = (Nik: Niks.Next(), Name: "Ratnasari Purbaningrum", Phone: "081311122233");

        await TestSql.ExecuteAsync($"alter table {Schema}.mt_events add constraint refuses_everything check (false) not valid");
        try
        {
            var import = await host.StartImport(caseworker, csv);
            Assert.Equal(ImportStatus.Failed, (await host.FinishedImport(caseworker, import)).Status);
            await host.Scenario(s =>
            {
                s.Post.Json(new
                {
                    nik = single.Nik, fullName = single.Name, regencyCode = "17.04", occupation = "fisher", phone = single.Phone, source = "FIELD"
                }).ToUrl("/api/cases");
                s.WithBearerToken(caseworker);
                s.StatusCodeShouldBe(500);
            });
        }
        finally
        {
            await TestSql.ExecuteAsync($"alter table {Schema}.mt_events drop constraint refuses_everything");
        }

        var deadLetters = await TestSql.NamesAsync(
            $"select row_to_json(d)::text || ' ' || encode(d.body, 'escape') from {Schema}.wolverine_dead_letters d");
        var deadLetter = Assert.Single(deadLetters);
        Assert.Contains(nameof(ProcessImportChunk), deadLetter, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("23514", deadLetter);

        var logText = string.Join("\n", logs.Entries.Select(e => e.Text));
        Assert.Contains("refuses_everything", logText); // the failures were logged, the statement named
        foreach (var (nik, name, phone) in workers.Append(single))
        foreach (var secret in new[] { nik, name, phone, name.Split(' ')[1] })
        {
            Assert.DoesNotContain(secret, deadLetter);
            Assert.False(logText.Contains(secret), $"a log line holds '{secret}':\n" +
                string.Join("\n", logs.Entries.Where(e => e.Text.Contains(secret)).Select(e => $"{e.Category}: {e.Text[..Math.Min(e.Text.Length, 600)]}")));
        }
    }
}
