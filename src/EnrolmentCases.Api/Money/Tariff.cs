namespace EnrolmentCases.Money;

/// <summary>
/// BPJS Ketenagakerjaan contributions for informal (BPU) workers, from configuration: rates change
/// by regulation. Rates are in basis points (100 = 1 %) so that premiums stay whole rupiah.
/// </summary>
public sealed class TariffOptions
{
    public const string Section = "Tariff";

    /// <summary>JKK (work accident): share of the bracketed income.</summary>
    public int JkkBasisPoints { get; set; } = 100;

    /// <summary>JKM (death): flat rupiah per month.</summary>
    public long JkmFlat { get; set; } = 6_800;

    /// <summary>JHT (old-age savings, optional): share of the bracketed income.</summary>
    public int JhtBasisPoints { get; set; } = 200;

    /// <summary>
    /// Income levels contributions are computed on, ascending. A declared income counts at the
    /// highest level not above it, and at the lowest level when below all of them.
    /// </summary>
    public List<long> IncomeBrackets { get; set; } = [1_000_000];

    public static IEnumerable<string> Rules(TariffOptions o)
    {
        if (o.JkkBasisPoints is < 0 or > 10_000) yield return $"JkkBasisPoints must be between 0 and 10000 (100 % ; is {o.JkkBasisPoints})";
        if (o.JhtBasisPoints is < 0 or > 10_000) yield return $"JhtBasisPoints must be between 0 and 10000 (100 % ; is {o.JhtBasisPoints})";
        if (o.JkmFlat < 0) yield return $"JkmFlat must not be negative (is {o.JkmFlat})";
        // Repeats are harmless (and the binder adds the configured levels to the default one).
        if (o.IncomeBrackets.Count == 0) yield return "IncomeBrackets must list at least one income level";
        if (o.IncomeBrackets.Any(b => b <= 0)) yield return "IncomeBrackets must all be positive rupiah amounts";
    }
}

public static class Tariff
{
    public static long BracketFor(TariffOptions tariff, long declaredMonthlyIncome)
    {
        var brackets = tariff.IncomeBrackets.Order().ToList();
        if (brackets.Count == 0) throw new InvalidOperationException("Tariff:IncomeBrackets is empty.");
        return brackets.LastOrDefault(b => b <= declaredMonthlyIncome, brackets[0]);
    }

    /// <summary>The monthly premium of a worker's programmes, in whole rupiah (shares rounded half up).</summary>
    public static long MonthlyPremium(TariffOptions tariff, IEnumerable<Programme> programmes, long declaredMonthlyIncome)
    {
        var income = BracketFor(tariff, declaredMonthlyIncome);
        return programmes.Distinct().Sum(programme => programme switch
        {
            Programme.Jkk => Share(income, tariff.JkkBasisPoints),
            Programme.Jkm => tariff.JkmFlat,
            Programme.Jht => Share(income, tariff.JhtBasisPoints),
            _ => throw new ArgumentOutOfRangeException(nameof(programmes), programme, null)
        });
    }

    /// <summary>What a subsidy pays a month: JKK + JKM at the lowest income bracket (Rp 16,800 with today's rates).</summary>
    public static long SubsidisedPackage(TariffOptions tariff) => MonthlyPremium(tariff, [Programme.Jkk, Programme.Jkm], 0);

    private static long Share(long income, int basisPoints) => (income * basisPoints + 5_000) / 10_000;
}
