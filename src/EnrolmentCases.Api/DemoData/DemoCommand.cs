using JasperFx.CommandLine;
using Microsoft.AspNetCore.TestHost;

namespace EnrolmentCases.DemoData;

public class DemoInput : NetCoreInput
{
    [Description("Share of Bengkulu's 114,883 vulnerable workers to create cases for (0.05 gives about 5,000 cases)")]
    [FlagAlias("scale")]
    public double ScaleFlag { get; set; } = 0.05;

    [Description("Cases loaded in parallel")]
    [FlagAlias("workers")]
    public int WorkersFlag { get; set; } = 4;

    [Description("Where to write the insurer's sample status file for the demo (CSV), to post to /api/reconciliations")]
    [FlagAlias("insurer-file")]
    public string? InsurerFileFlag { get; set; }
}

[Description("Loads the deterministic Bengkulu demo data into an empty database, through the API", Name = Name)]
public class DemoCommand : JasperFxAsyncCommand<DemoInput>
{
    public const string Name = "demo";

    public override async Task<bool> Execute(DemoInput input)
    {
        if (input.ScaleFlag is <= 0 or > 1 || input.WorkersFlag is < 1 or > 32)
        {
            Console.Error.WriteLine("--scale must be in (0, 1] and --workers in [1, 32].");
            return false;
        }

        using var host = input.BuildHost();
        if (!string.IsNullOrEmpty(input.InsurerFileFlag))
        {
            // From the plan alone: the same file for the same scale, loaded or not.
            var tariff = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Money.TariffOptions>>().Value;
            var share = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Forecast.ForecastOptions>>().Value.ProvinceShare;
            var plan = DemoPlan.Cases(input.ScaleFlag, Money.Tariff.SubsidisedPackage(tariff), share);
            await File.WriteAllTextAsync(input.InsurerFileFlag, DemoInsurerFile.Csv(plan));
            Console.Error.WriteLine($"Wrote the insurer's sample status file to {input.InsurerFileFlag}.");
        }


        await host.StartAsync();
        try
        {
            await using var session = host.Services.GetRequiredService<IDocumentStore>().QuerySession();
            if (await session.Query<Cases.GettingDetails.CaseDetails>().AnyAsync())
            {
                Console.Error.WriteLine("The database already holds cases: demo data is loaded only into an empty database.");
                return true;
            }

            Console.Error.WriteLine($"Loading the Bengkulu demo data at scale {input.ScaleFlag}...");
            var loader = ActivatorUtilities.CreateInstance<DemoLoader>(host.Services, host.GetTestClient());
            var summary = await loader.LoadAsync(input.ScaleFlag, input.WorkersFlag, CancellationToken.None);
            Console.Error.WriteLine($"Loaded {summary.Cases} cases with {summary.Commands} commands in {summary.Took.TotalSeconds:N0} s.");
        }
        finally
        {
            await host.StopAsync();
        }

        return true;
    }
}
