package org.checkupportal.fhirvalidator;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

/**
 * Validates FHIR R4 JSON files against the base specification, offline: the structure definitions, value
 * sets and code systems come from hapi-fhir-validation-resources-r4 on the classpath, and no terminology
 * server is asked (codes of systems the base spec does not carry, such as LOINC, are left unchecked, which
 * the validator reports as a warning or information, never an error).
 *
 * <p>Usage: {@code Validate FILE.json...}. Prints one line per message ({@code SEVERITY file location:
 * message}; information only with {@code --verbose}) and a summary per file. Exit status 0 when no file has
 * an error or fatal message, 1 when one has, 2 on a usage or I/O problem.
 */
public final class Validate {

  private Validate() {}

  public static void main(String[] args) {
    boolean verbose = false;
    int files = 0;
    int errors = 0;
    FhirValidator validator = null;
    for (String arg : args) {
      if (arg.equals("--verbose")) {
        verbose = true;
        continue;
      }
      if (validator == null) {
        validator = newValidator();
      }
      String text;
      try {
        text = Files.readString(Path.of(arg), StandardCharsets.UTF_8);
      } catch (IOException e) {
        System.err.println("cannot read " + arg + ": " + e.getMessage());
        System.exit(2);
        return;
      }
      files++;
      ValidationResult result = validator.validateWithResult(text);
      int fileErrors = 0;
      int warnings = 0;
      for (SingleValidationMessage message : result.getMessages()) {
        ResultSeverityEnum severity = message.getSeverity();
        boolean error = severity == ResultSeverityEnum.ERROR || severity == ResultSeverityEnum.FATAL;
        if (error) {
          fileErrors++;
        } else if (severity == ResultSeverityEnum.WARNING) {
          warnings++;
        }
        if (error || severity == ResultSeverityEnum.WARNING || verbose) {
          System.out.println(
              severity.name() + " " + arg + " " + message.getLocationString() + ": " + message.getMessage());
        }
      }
      System.out.println(arg + ": " + fileErrors + " errors, " + warnings + " warnings");
      errors += fileErrors;
    }
    if (files == 0) {
      System.err.println("usage: Validate [--verbose] FILE.json...");
      System.exit(2);
    }
    System.exit(errors == 0 ? 0 : 1);
  }

  private static FhirValidator newValidator() {
    FhirContext context = FhirContext.forR4();
    ValidationSupportChain chain =
        new ValidationSupportChain(
            new DefaultProfileValidationSupport(context),
            new CommonCodeSystemsTerminologyService(context),
            new InMemoryTerminologyServerValidationSupport(context),
            new SnapshotGeneratingValidationSupport(context));
    FhirInstanceValidator module = new FhirInstanceValidator(chain);
    FhirValidator validator = context.newValidator();
    validator.registerValidatorModule(module);
    return validator;
  }
}
