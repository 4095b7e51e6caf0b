using System.Security.Cryptography;
using System.Text;
using EnrolmentCases.Money;

namespace EnrolmentCases.Budgets;

// One stream per payer, regency (for regency budgets) and year. Amounts are whole rupiah.

public record BudgetAllocated(Payer Payer, string? RegencyCode, int Year, long Amount, BudgetKind Kind, string? Note, DateTimeOffset RecordedAt);

/// <summary>A subsidy reserved premium x months of this budget for a case.</summary>
public record SubsidyCommitted(Guid CaseId, long Amount, YearMonth StartMonth, int Months, long MonthlyPremium, DateTimeOffset CommittedAt);

/// <summary>Money a subsidy reserved but will not spend, back in the remaining allocation.</summary>
public record CommitmentReleased(Guid CaseId, long Amount, SubsidyEndReason Reason, DateTimeOffset ReleasedAt);

/// <summary>A subsidised month's premium paid out of the commitment.</summary>
public record PremiumDisbursed(Guid CaseId, YearMonth Month, long Amount, DateTimeOffset RecordedAt);

/// <summary>
/// The ledger of one budget. Invariants: allocated = committed + remaining, remaining >= 0,
/// paid <= committed (committed counts money reserved, spent or not).
/// </summary>
public class Budget
{
    public Guid Id { get; set; }
    public long Version { get; set; }
    public Payer Payer { get; set; }
    public string? RegencyCode { get; set; }
    public int Year { get; set; }
    public long Allocated { get; set; }
    public long Committed { get; set; }
    public long Paid { get; set; }
    public long Remaining => Allocated - Committed;

    public static Guid IdFor(Payer payer, string? regencyCode, int year)
    {
        // Deterministic, so that the first allocation and every grant find the same stream.
        var key = $"budget|{payer}|{regencyCode ?? "-"}|{year}";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return new Guid(hash.AsSpan(0, 16));
    }

    /// <summary>A copy to evolve while deciding; the fetched instance is the base of the inline snapshot.</summary>
    public Budget Copy() => (Budget)MemberwiseClone();

    public static Budget Create(BudgetAllocated e) => new()
    {
        Payer = e.Payer,
        RegencyCode = e.RegencyCode,
        Year = e.Year,
        Allocated = e.Amount
    };

    public void Apply(BudgetAllocated e) => Allocated += e.Amount;
    public void Apply(SubsidyCommitted e) => Committed += e.Amount;
    public void Apply(CommitmentReleased e) => Committed -= e.Amount;
    public void Apply(PremiumDisbursed e) => Paid += e.Amount;
}

/// <summary>Thrown when a commitment does not fit what is left of a budget.</summary>
public sealed class BudgetExceeded(long remaining, long requested) : Exception(
    $"The commitment of Rp {requested:N0} exceeds the remaining allocation of Rp {remaining:N0}.")
{
    public long Remaining { get; } = remaining;
    public long Requested { get; } = requested;
}

public static class BudgetDecisions
{
    public static SubsidyCommitted Commit(Budget? budget, Guid caseId, YearMonth start, int months, long monthlyPremium, DateTimeOffset now)
    {
        var amount = monthlyPremium * months;
        var remaining = budget?.Remaining ?? 0;
        if (amount > remaining) throw new BudgetExceeded(remaining, amount);
        return new SubsidyCommitted(caseId, amount, start, months, monthlyPremium, now);
    }
}
