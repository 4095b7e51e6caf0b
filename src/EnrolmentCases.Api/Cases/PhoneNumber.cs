namespace EnrolmentCases.Cases;

public static class PhoneNumber
{
    public static string Normalise(string phone) =>
        new string(phone.Where(c => char.IsAsciiDigit(c) || c == '+').ToArray());

    /// <summary>Indonesian numbers run 10-13 digits; accept 8-15 to allow landlines and the +62 prefix.</summary>
    public static bool IsPlausible(string phone)
    {
        if (phone.Any(c => !(char.IsAsciiDigit(c) || c is '+' or ' ' or '-' or '(' or ')'))) return false;
        var normalised = Normalise(phone);
        var digits = normalised.TrimStart('+');
        return normalised.LastIndexOf('+') <= 0 && digits.Length is >= 8 and <= 15 && digits.All(char.IsAsciiDigit);
    }
}
