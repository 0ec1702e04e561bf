// An error in the verdict form (the admin's form has novalidate, so the server finds an empty rationale)
// is shown where it is; otherwise the article box scrolls to the claim and the page stays at its top.
(function () {
  var error = document.querySelector("#verdict-form .errorlist, #verdict-form .errornote");
  if (error) {
    error.scrollIntoView({block: "center"});
    var field = error.parentElement && error.parentElement.querySelector("textarea, input:not([type=hidden])");
    if (field) field.focus({preventScroll: true});
    return;
  }
  var mark = document.getElementById("claim-mark"), box = document.getElementById("article-text");
  if (mark && box) box.scrollTop = mark.offsetTop - box.offsetTop - box.clientHeight / 3;
})();
