using System.Text.Json.Serialization;

namespace EnrolmentCases.Money;

/// <summary>Which regional budget (APBD) pays a subsidy.</summary>
public enum Payer
{
    [JsonStringEnumMemberName("APBD_PROVINCE")] ApbdProvince,
    [JsonStringEnumMemberName("APBD_REGENCY")] ApbdRegency
}

/// <summary>An allocation in the budget as passed (APBD) or a mid-year top-up in the revised budget (APBD-P).</summary>
public enum BudgetKind
{
    [JsonStringEnumMemberName("APBD")] Apbd,
    [JsonStringEnumMemberName("APBD_P")] ApbdP
}

public enum SubsidyEndReason
{
    [JsonStringEnumMemberName("budget_year_over")] BudgetYearOver,
    [JsonStringEnumMemberName("wage_earner")] WageEarner,
    [JsonStringEnumMemberName("closure")] Closure
}

/// <summary>BPJS Ketenagakerjaan programmes open to informal (BPU) workers.</summary>
public enum Programme
{
    /// <summary>Jaminan Kecelakaan Kerja: work accident.</summary>
    [JsonStringEnumMemberName("JKK")] Jkk,
    /// <summary>Jaminan Kematian: death.</summary>
    [JsonStringEnumMemberName("JKM")] Jkm,
    /// <summary>Jaminan Hari Tua: old-age savings, optional.</summary>
    [JsonStringEnumMemberName("JHT")] Jht
}
